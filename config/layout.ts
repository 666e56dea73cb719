/** Layout files and printing (`cfg.layout`): the font of the PDFs, their threads, the print service. */
import * as fs from 'node:fs';
import { baseUrl, int } from './parse';

/** The first of these that exists is the default font. */
export const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/arphic/uming.ttc',
];
export const DEFAULT_LAYOUT_THREADS = 1;
/** Empty: the printer simulator (cfg.sim.printerPort). */
export const DEFAULT_PRINTER_URL = '';

export interface LayoutConfig {
  /** MEDBILL_FONT: a TrueType/OpenType font with CJK glyphs for layout files (default: the first of FONT_CANDIDATES found). */
  fontPath: string;
  /** MEDBILL_LAYOUT_THREADS: worker threads rendering layout PDFs and QR codes (0 = in the main thread). */
  threads: number;
  /** MEDBILL_PRINTER_URL: print service base URL (paper forms, A4 layouts); empty (default) = the printer simulator. */
  printerUrl: string;
}

export function loadLayoutConfig(env: NodeJS.ProcessEnv): LayoutConfig {
  return {
    fontPath: env.MEDBILL_FONT || FONT_CANDIDATES.find((f) => fs.existsSync(f)) || '',
    threads: int('MEDBILL_LAYOUT_THREADS', env.MEDBILL_LAYOUT_THREADS, DEFAULT_LAYOUT_THREADS),
    printerUrl: baseUrl(env.MEDBILL_PRINTER_URL || DEFAULT_PRINTER_URL),
  };
}
