/**
 * The patient's H5 page, opened from the bill's QR code: /h5/bill/{code}/{number}?random={check code}.
 * A wrong check code gets exactly the same answer as an unknown bill, so it reveals nothing.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { timingSafeEqual } from 'node:crypto';
import { formatYuan, yuanInChinese } from '../../common/money';
import { Bill, BillItem } from '../../orm/entities';
import type { ApiContext } from '../context';
import { sendLayout } from '../console/bills';
import { renderBillPage, renderNotFoundPage } from './page';

const STATE_TEXT: Record<string, string> = { normal: '正常', reversed: '已冲红' };

async function findByCheckCode(api: ApiContext, ctx: Context): Promise<Bill | undefined> {
  const code = String(ctx.params.code ?? '');
  const no = String(ctx.params.no ?? '');
  const random = String(ctx.query.random ?? '');
  if (!/^\d{8}$/.test(code) || !/^\d{10}$/.test(no) || !/^[0-9a-z]{6}$/.test(random)) return undefined;
  const bill = await api.deps.orm.em.fork().findOne(Bill, { billBatchCode: code, billNo: no }, { populate: ['hospital', 'billKind'] });
  if (!bill || !timingSafeEqual(Buffer.from(bill.random), Buffer.from(random))) return undefined;
  return bill;
}

function notFound(ctx: Context): void {
  ctx.status = 404;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = renderNotFoundPage();
}

export function mountH5Routes(router: Router, api: ApiContext): void {
  router.get('/h5/bill/:code/:no', async (ctx) => {
    const bill = await findByCheckCode(api, ctx);
    if (!bill) return notFound(ctx);
    const items = await api.deps.orm.em.fork().find(BillItem, { bill: bill.id }, { orderBy: { sortNo: 'asc' } });
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = renderBillPage({
      hospitalName: bill.hospital.name,
      billKindName: bill.billKind.name,
      billBatchCode: bill.billBatchCode,
      billNo: bill.billNo,
      random: bill.random,
      issuedAt: bill.issuedAt,
      payer: bill.payer,
      totalAmt: formatYuan(bill.totalAmt),
      totalAmtChinese: yuanInChinese(bill.totalAmt),
      state: bill.state as 'normal' | 'reversed',
      stateText: STATE_TEXT[bill.state] ?? bill.state,
      items: items.map((i) => ({ name: i.name, amt: formatYuan(i.amt) })),
      pdfUrl: bill.layoutPath ? `/h5/bill/${bill.billBatchCode}/${bill.billNo}/pdf?random=${bill.random}` : undefined,
      paper: bill.paperState === 'exchanged' && bill.paperBillBatchCode && bill.paperBillNo ? { pBillBatchCode: bill.paperBillBatchCode, pBillNo: bill.paperBillNo } : undefined,
    });
  });
  router.get('/h5/bill/:code/:no/pdf', async (ctx) => {
    const bill = await findByCheckCode(api, ctx);
    if (!bill || !bill.layoutPath) return notFound(ctx);
    sendLayout(ctx, api, bill);
  });
}
