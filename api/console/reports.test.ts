import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { writeXlsx, type ReportDef } from './reports';

const def: ReportDef<Record<string, never>> = {
  id: 't',
  title: '测试汇总表',
  description: '',
  permission: 'menu:reports',
  params: [],
  parse: () => ({}),
  columns: [
    { key: 'who', header: '开票员', fixed: true },
    { key: 'ch05', header: '微信', money: true, group: '交费渠道' },
    { key: 'ch02', header: '现金', money: true, group: '交费渠道' },
    { key: 'netAmt', header: '合计金额', money: true },
    { key: 'redCount', header: '冲红份数', group: '冲红' },
  ],
  async *rows() {
    yield { who: '李敏', ch05: 10000, ch02: 2650, netAmt: 12650, redCount: 0 };
  },
  total: async () => ({ _subtotal: '合计（1 张）', ch05: 10000, ch02: 2650, netAmt: 12650, redCount: 0 }),
};

test('the export: title, hospital, period, filters, a two-row grouped header frozen with the key columns, yuan from fen, the total last', async () => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => out.on('end', r));
  const n = await writeXlsx({} as never, def, {}, out, { hospital: '示范医院', period: '统计期间：2026-12-01 至 2026-12-05', filters: '开票点：全部', exportedBy: '王会计（finance）' });
  await done;
  expect(n).toBe(2);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
  const ws = wb.worksheets[0];
  expect(ws.name).toBe('测试汇总表');
  expect([1, 2, 3].map((i) => ws.getRow(i).getCell(1).value)).toEqual(['测试汇总表', '单位：示范医院', '统计期间：2026-12-01 至 2026-12-05']);
  expect(String(ws.getRow(4).getCell(1).value)).toBe('筛选条件：开票点：全部　导出：王会计（finance）');
  expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 6, xSplit: 1 });
  // Groups above their columns (merged across), ungrouped headers merged down over both rows.
  expect([1, 2, 3, 4, 5].map((c) => ws.getRow(5).getCell(c).value)).toEqual(['开票员', '交费渠道', '交费渠道', '合计金额', '冲红']);
  expect([2, 3, 5].map((c) => ws.getRow(6).getCell(c).value)).toEqual(['微信', '现金', '冲红份数']);
  expect(ws.getCell('C5').isMerged).toBe(true);
  expect(ws.getCell('A6').isMerged).toBe(true);
  expect(ws.getCell('A1').isMerged).toBe(true);
  expect(ws.getRow(7).getCell(2).value).toBe(100);
  expect(ws.getRow(7).getCell(3).value).toBe(26.5);
  expect(ws.getRow(7).getCell(4).numFmt).toBe('#,##0.00');
  expect(ws.getRow(8).getCell(1).value).toBe('合计（1 张）');
  expect(ws.getRow(8).font?.bold).toBe(true);
});
