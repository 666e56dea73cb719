/**
 * 票据清单: the bill list of 票据查询 as a report, so that its Excel export (导出) has the title,
 * hospital, period, filters and frozen header of every report, the operation-log entry of every
 * export, and the same filters as the list (billListFilter: scope, dates, number part, patient,
 * state, kind, upload state). The payer is masked for a viewer without bill:identity.
 */
import type { FilterQuery } from '@mikro-orm/core';
import { chinaTime } from '../../common/china-time';
import { revealsIdentity } from '../../domain/access';
import { BUS_TYPES } from '../../domain/bill/issue-request';
import { Bill } from '../../orm/entities';
import { maskName } from '../h5/page';
import type { ApiContext } from '../context';
import type { SessionUser } from './auth';
import { billListFilter } from './bills';
import { registerReport, type ReportDef } from './report-defs';

const STATE: Record<string, string> = { normal: '正常', reversed: '已冲红' };
const UPLOAD: Record<string, string> = { pending: '待上传', uploaded: '已上传', rejected: '被拒收' };
/** The most rows one export holds (a day of a large hospital); narrow the filter for more. */
export const BILL_LIST_MAX = 20_000;

interface Q {
  where: FilterQuery<Bill> & Record<string, unknown>;
  reveal: boolean;
  describe: string;
}

const billList: ReportDef<Q> = {
  id: 'bill-list',
  title: '票据清单',
  description: '票据查询的结果（与列表相同的条件），每张票据一行',
  permission: 'menu:bills',
  unlisted: true,
  params: [],
  async parse(q, user: SessionUser, api: ApiContext) {
    const where = await billListFilter(api, q, user);
    const parts = [
      q.dateFrom || q.dateTo ? `日期：${q.dateFrom ?? ''} 至 ${q.dateTo ?? ''}` : '',
      q.placeCode ? `开票点：${q.placeCode}` : '',
      q.billNo ? `票据号码含：${q.billNo}` : '',
      q.state ? `状态：${({ normal: '正常', reversed: '已冲红', scarlet: '红字票据' } as Record<string, string>)[q.state] ?? q.state}` : '',
      q.kind ? `票据种类：${q.kind}` : '',
      q.uploadState ? `上传状态：${UPLOAD[q.uploadState] ?? q.uploadState}` : '',
      q.patient ? '按患者查询' : '',
    ].filter(Boolean);
    return { where, reveal: revealsIdentity(user), describe: parts.join('；') || '全部' };
  },
  describe: (q) => q.describe,
  columns: [
    { key: 'billBatchCode', header: '票据代码', width: 12 },
    { key: 'billNo', header: '票据号码', width: 13 },
    { key: 'issuedAt', header: '开票时间', width: 20 },
    { key: 'kind', header: '票据种类', width: 22 },
    { key: 'busType', header: '业务类型', width: 10 },
    { key: 'place', header: '开票点', width: 16 },
    { key: 'payer', header: '交款人', width: 12 },
    { key: 'patientNo', header: '患者编号', width: 12 },
    { key: 'totalAmt', header: '金额', width: 12, money: true },
    { key: 'state', header: '状态', width: 10 },
    { key: 'upload', header: '上传状态', width: 10 },
    { key: 'busNo', header: '业务流水号', width: 24 },
  ],
  async *rows(api, q) {
    const em = api.deps.orm.em.fork();
    let sum = 0;
    let count = 0;
    for (let offset = 0; offset < BILL_LIST_MAX; offset += 500) {
      const page = await em.find(Bill, q.where, { populate: ['place', 'billKind'], orderBy: { issuedAt: 'desc', id: 'desc' }, limit: Math.min(500, BILL_LIST_MAX - offset), offset });
      for (const b of page) {
        sum += b.totalAmt;
        count++;
        yield {
          billBatchCode: b.billBatchCode,
          billNo: b.billNo,
          issuedAt: chinaTime(b.issuedAt).text,
          kind: b.billKind.name,
          busType: BUS_TYPES[b.busType] ?? b.busType,
          place: b.place.name,
          payer: q.reveal ? b.payer : maskName(b.payer),
          patientNo: b.patientNo,
          totalAmt: b.totalAmt,
          state: b.isScarlet ? '红字票据' : (STATE[b.state] ?? b.state),
          upload: UPLOAD[b.uploadState] ?? b.uploadState,
          busNo: b.busNo,
        };
      }
      em.clear();
      if (page.length < 500) break;
    }
    yield { _subtotal: `合计（${count} 张）`, totalAmt: sum };
  },
};

let registered = false;
export function registerBillListReport(): void {
  if (registered) return;
  registered = true;
  registerReport(billList);
}
