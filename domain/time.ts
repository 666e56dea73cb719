/** China time for the console and the workflows (common/china-time.ts is the one helper). */
export { chinaDayStart, chinaTime, chinaToday, fromHisTime, type ChinaTime } from '../common/china-time';
