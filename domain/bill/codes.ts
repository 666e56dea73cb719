/**
 * The code tables of the HIS interface and the e-bill standard, with the Chinese name a person
 * reads: the API answers names beside codes, and the console falls back on these when its
 * reference data did not load. Pure, no imports: the console and the workflows import it.
 */

/**
 * Business types (busType, 业务类型). 07 and 08 are deposits (预交金): payment vouchers, not bills.
 * 91 and 92 are medbill extensions for the non-medical bills a hospital also issues (往来结算,
 * 捐赠; NON_MEDICAL_BUS_TYPES): no patient, their own bill kinds (业务类别维护 maps them).
 */
export const BUS_TYPES: Record<string, string> = {
  '01': '住院',
  '02': '门诊',
  '03': '急诊',
  '04': '门诊特殊病',
  '05': '体检中心',
  '06': '挂号',
  '07': '住院预交金',
  '08': '体检预交金',
  '91': '往来结算',
  '92': '捐赠',
};

/** The business types of non-medical bills: a payer (often a unit) without a patient number. */
export const NON_MEDICAL_BUS_TYPES: ReadonlySet<string> = new Set(['91', '92']);
export const isMedicalBusType = (busType: string): boolean => !NON_MEDICAL_BUS_TYPES.has(busType);

/** Pay channels (payChannelCode, 支付渠道) of the default MEDBILL_HIS_PAY_CHANNEL_CODES. */
export const PAY_CHANNELS: Record<string, string> = {
  '01': '医保', '02': '现金', '03': '支票', '04': '支付宝', '05': '微信', '06': '转账', '07': '医保个账', '08': '银联卡', '09': '自助机',
};

/**
 * Identity documents (cardType, 证件类型), as the national medical insurance codes them (人员证件类型);
 * `1` and the name 居民身份证 are read as 01 too (domain/his-input.ts RESIDENT_ID_CARD_TYPES).
 */
export const CARD_TYPES: Record<string, string> = {
  '01': '居民身份证',
  '02': '中国人民解放军军官证',
  '03': '中国人民武装警察警官证',
  '04': '香港特区护照/港澳居民来往内地通行证',
  '05': '澳门特区护照/港澳居民来往内地通行证',
  '06': '台湾居民来往大陆通行证',
  '07': '外国人永久居留证',
  '08': '外国人护照',
  '09': '残疾人证',
  '10': '军烈属证明',
  '11': '外国人就业证',
  '12': '外交官证',
  '13': '使（领）馆人员身份证件',
  '14': '香港特区居民身份证',
  '15': '澳门特区居民身份证',
  '16': '港澳台居民居住证',
  '90': '社会保障卡',
  '99': '其他身份证件',
};

/** Payer types (payerType, 交款人类型). */
export const PAYER_TYPES: Record<string, string> = { '1': '个人', '2': '单位' };

const nameIn = (table: Record<string, string>, code: string | null | undefined): string => (code ? (table[code] ?? code) : '');

export const busTypeName = (code: string | null | undefined): string => nameIn(BUS_TYPES, code);
export const payChannelName = (code: string | null | undefined): string => nameIn(PAY_CHANNELS, code);
export const payerTypeName = (code: string | null | undefined): string => nameIn(PAYER_TYPES, code);
/** The document's name: `1` is 01 (居民身份证); a name sent as the code is kept. */
export const cardTypeName = (code: string | null | undefined): string => {
  const c = (code ?? '').trim();
  if (!c) return '';
  return CARD_TYPES[c] ?? CARD_TYPES[c.padStart(2, '0')] ?? c;
};
