/** A count of bills (张数, 剩余, 已用) with thousands separators: 12000 -> "12,000". */
export function formatCount(value: number | string | null | undefined): string {
  const n = Number(value);
  return value === null || value === undefined || value === '' || !Number.isFinite(n) ? '' : n.toLocaleString('zh-CN', { maximumFractionDigits: 0 });
}
