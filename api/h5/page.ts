import { chinaTime } from '../../common/china-time';
/**
 * The patient's H5 pages, opened from a bill's QR code: complete HTML documents with inline CSS
 * and no outside assets, laid out for a 375 px phone. Pure functions; every value put into the
 * page goes through escapeHtml.
 */

export interface H5BillView {
  hospitalName: string;
  billKindName: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  issuedAt: Date;
  /** Printed masked: 张*三, 张*. */
  payer: string;
  /** Yuan text, "1234.50". */
  totalAmt: string;
  totalAmtChinese: string;
  state: 'normal' | 'reversed' | (string & {});
  /** Chinese, e.g. 正常 / 已冲红. */
  stateText: string;
  items: Array<{ name: string; amt: string }>;
  /** Absent while the layout file is not ready. */
  pdfUrl?: string;
  verifyHint?: string;
  /** WeChat card pack (微信卡包): a button posting to `postUrl`, or the state of the insert. */
  card?: { state: 'none' | 'pending' | 'inserted' | 'failed'; postUrl: string };
  /** Set when the e-bill is exchanged for a fiscal paper form (已换开纸质票据). */
  paper?: { pBillBatchCode: string; pBillNo: string };
  /**
   * The bills this one leads to or comes from: a reversed bill's red bill and its reissue (部分退费
   * 重开), a red bill's original, a reissue's original. Each with its own H5 address.
   */
  related?: Array<{ label: string; billNo: string; url: string }>;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** Hides the middle of a name: 张三 -> 张*, 张三丰 -> 张*丰, 欧阳娜娜 -> 欧**娜. */
export function maskName(name: string): string {
  const cs = Array.from(name.trim());
  if (cs.length === 0) return '';
  if (cs.length === 1) return '*';
  if (cs.length === 2) return `${cs[0]}*`;
  return cs[0] + '*'.repeat(cs.length - 2) + cs[cs.length - 1];
}

/** Beijing time (UTC+8), whatever the server's time zone. */
function beijingTime(d: Date): string {
  return chinaTime(d).text;
}

/** Only site-relative or http(s) links go into an href. */
function safeHref(url: string | undefined): string | undefined {
  if (!url) return undefined;
  return /^(\/(?!\/)|https?:\/\/)/i.test(url.trim()) ? url.trim() : undefined;
}

const CSS = `
*{box-sizing:border-box;margin:0;padding:0}
html{-webkit-text-size-adjust:100%}
body{font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;background:#f3f4f6;color:#1f2329;font-size:15px;line-height:1.5}
.top{background:linear-gradient(135deg,#b8322a,#d9534a);color:#fff;padding:18px 16px 44px}
.top h1{font-size:17px;font-weight:600;word-break:break-all}
.top p{font-size:13px;opacity:.85;margin-top:2px}
.wrap{max-width:480px;margin:-32px auto 0;padding:0 12px 24px}
.card{background:#fff;border-radius:12px;box-shadow:0 2px 10px rgba(0,0,0,.06);padding:16px;margin-bottom:12px}
.kind{display:flex;align-items:flex-start;justify-content:space-between;gap:8px}
.kind h2{font-size:16px;font-weight:600;color:#8c2a22;word-break:break-all}
.badge{flex:none;font-size:12px;line-height:20px;padding:0 8px;border-radius:10px;border:1px solid}
.badge.ok{color:#16803c;background:#e8f7ee;border-color:#9ad8b1}
.badge.red{color:#c62828;background:#fdecec;border-color:#f3a9a9}
.badge.other{color:#6b7280;background:#f3f4f6;border-color:#d1d5db}
.amount{text-align:center;padding:18px 0 14px;border-bottom:1px dashed #e5e7eb}
.amount .yuan{font-size:32px;font-weight:700;letter-spacing:.5px}
.amount .yuan small{font-size:18px;margin-right:2px}
.amount .words{font-size:13px;color:#6b7280;margin-top:2px;word-break:break-all}
.reversed .amount .yuan{color:#9ca3af;text-decoration:line-through}
dl{display:grid;grid-template-columns:auto 1fr;gap:8px 12px;padding-top:14px;font-size:14px}
dt{color:#6b7280}
dd{text-align:right;font-variant-numeric:tabular-nums;word-break:break-all}
h3{font-size:15px;font-weight:600;margin-bottom:8px}
ul{list-style:none}
li{display:flex;justify-content:space-between;gap:12px;padding:9px 0;border-top:1px solid #f0f1f3;font-size:14px}
li:first-child{border-top:0}
li span:first-child{word-break:break-all}
li span:last-child{flex:none;font-variant-numeric:tabular-nums}
.btn{display:block;width:100%;text-align:center;text-decoration:none;font-size:17px;font-weight:600;line-height:50px;border-radius:25px;background:#c0392b;color:#fff;box-shadow:0 4px 12px rgba(192,57,43,.3)}
.btn:active{background:#a93226}
.wait{text-align:center;font-size:14px;color:#92400e;background:#fffbeb;border:1px solid #fde68a;border-radius:10px;padding:12px}
.hint{font-size:12px;color:#6b7280;margin-top:10px;text-align:center;word-break:break-all}
.msg{text-align:center;padding:36px 8px}
.msg .icon{width:64px;height:64px;margin:0 auto 14px;border-radius:50%;display:flex;align-items:center;justify-content:center;font-size:34px;font-weight:700;color:#fff}
.msg .icon.warn{background:#f59e0b}
.msg .icon.wait{background:#3b82f6}
.msg h2{font-size:17px;font-weight:600}
.msg p{font-size:14px;color:#6b7280;margin-top:6px}
footer{text-align:center;font-size:12px;color:#9ca3af;padding:8px 0 4px}
`;

function shell(title: string, header: { name: string; sub: string }, body: string, footer: string, refreshSeconds?: number): string {
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="format-detection" content="telephone=no">
<meta name="robots" content="noindex,nofollow">
<meta name="referrer" content="no-referrer">
${refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">\n` : ''}<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="top"><h1>${escapeHtml(header.name)}</h1><p>${escapeHtml(header.sub)}</p></header>
<main class="wrap">
${body}
<footer>${escapeHtml(footer)}</footer>
</main>
</body>
</html>
`;
}

function badgeClass(state: string): string {
  if (state === 'normal') return 'ok';
  if (state === 'reversed') return 'red';
  return 'other';
}

/** The bill as a patient sees it after scanning its QR code. */
export function renderBillPage(view: H5BillView): string {
  const href = safeHref(view.pdfUrl);
  const reversed = view.state === 'reversed';
  const rows: Array<[string, string]> = [
    ['票据代码', view.billBatchCode],
    ['票据号码', view.billNo],
    ['校验码', view.random],
    ['开票时间', beijingTime(view.issuedAt)],
    ['交款人', maskName(view.payer)],
  ];
  if (view.paper) rows.push(['纸质票据', `${view.paper.pBillBatchCode}-${view.paper.pBillNo}`]);
  const paperNote = view.paper ? `<p class="hint">已换开纸质票据（${escapeHtml(view.paper.pBillBatchCode)}-${escapeHtml(view.paper.pBillNo)}），报销请使用纸质票据</p>` : '';
  const items = view.items.length
    ? `<section class="card"><h3>收费项目（${view.items.length} 项）</h3><ul>${view.items
        .map((i) => `<li><span>${escapeHtml(i.name)}</span><span>${escapeHtml(i.amt)}</span></li>`)
        .join('')}</ul></section>`
    : '';
  const action = href
    ? `<a class="btn" href="${escapeHtml(href)}">下载电子票据（PDF）</a>`
    : `<div class="wait">版式文件生成中，请稍后刷新</div>`;
  const hint = view.verifyHint ? `<p class="hint">${escapeHtml(view.verifyHint)}</p>` : '';
  const links = (view.related ?? []).filter((r) => safeHref(r.url));
  const reissue = links.find((r) => r.label === '重开票据');
  const related = links.length
    ? `<section class="card" data-test="h5-related"><h3>相关票据</h3>${
        reversed ? `<p class="hint">本票据已冲红${reissue ? `，剩余金额已重新开具票据 ${escapeHtml(reissue.billNo)}，报销请使用新票据` : '，不能再用于报销'}</p>` : ''
      }<ul>${links.map((r) => `<li><span>${escapeHtml(r.label)}</span><a href="${escapeHtml(safeHref(r.url)!)}">${escapeHtml(r.billNo)}</a></li>`).join('')}</ul></section>`
    : '';
  const card = !view.card
    ? ''
    : view.card.state === 'none'
      ? `<form method="post" action="${escapeHtml(safeHref(view.card.postUrl) ?? '')}" style="margin-top:12px"><button class="btn" type="submit" style="border:0;width:100%;background:#07c160">插入微信卡包</button></form>`
      : `<p class="hint">${{ pending: '正在插入微信卡包，请稍后刷新', inserted: '已插入微信卡包', failed: '插入微信卡包失败，请联系收费窗口' }[view.card.state]}</p>`;
  const body = `<section class="card${reversed ? ' reversed' : ''}">
<div class="kind"><h2>${escapeHtml(view.billKindName)}</h2><span class="badge ${badgeClass(view.state)}">${escapeHtml(view.stateText)}</span></div>
<div class="amount"><div class="yuan"><small>¥</small>${escapeHtml(view.totalAmt)}</div><div class="words">${escapeHtml(view.totalAmtChinese)}</div></div>
<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
</section>
${related}
${items}
<section class="card">${action}${paperNote}${card}${hint}</section>`;
  return shell(`${view.billKindName} ${view.billNo}`, { name: view.hospitalName, sub: /^医疗/.test(view.billKindName) ? '医疗电子票据' : '电子票据' }, body, `本票据由${view.hospitalName}开具，可扫码查验真伪`, href ? undefined : 10);
}

function messagePage(kind: 'warn' | 'wait', icon: string, title: string, text: string, note: string, refreshSeconds?: number): string {
  const body = `<section class="card"><div class="msg"><div class="icon ${kind}">${icon}</div><h2>${escapeHtml(text)}</h2><p>${escapeHtml(note)}</p></div></section>`;
  return shell(title, { name: '医疗电子票据查验', sub: '扫码查看电子票据' }, body, '医疗电子票据', refreshSeconds);
}

/**
 * For an unknown bill and for a wrong check code alike: it is the same constant page, so it
 * reveals nothing about whether a bill exists.
 */
export function renderNotFoundPage(): string {
  return NOT_FOUND;
}

/** After too many wrong check codes (per bill number or per address): try again after `wait`. */
export function renderTooManyPage(wait: string): string {
  return messagePage('warn', '!', '查询过于频繁', `校验码错误次数过多，请 ${wait}后再试`, '请核对票据上的校验码，或扫描票据上的二维码');
}

/** For an H5 link computed in advance whose bill is not issued yet. */
export function renderPendingPage(): string {
  return PENDING;
}

const NOT_FOUND = messagePage('warn', '!', '未找到票据', '未找到票据，请核对票据代码、号码和校验码', '二维码或链接不完整时也会出现此提示');
const PENDING = messagePage('wait', '…', '票据开具中', '票据开具中，请稍后刷新', '本页面会自动刷新', 5);

export interface H5RefundView {
  hospitalName: string;
  refundNo: string;
  /** Chinese state, e.g. 审批中 / 已完成 / 已驳回. */
  stateText: string;
  tone: 'ok' | 'red' | 'other';
  /** Yuan text. */
  amount: string;
  channelName: string;
  payer: string;
  reason: string;
  createdAt: Date;
  rejectReason?: string | null;
  steps: Array<{ name: string; status: 'done' | 'current' | 'pending' | 'skipped' | 'rejected'; at?: string }>;
  /** Money back: when, or where it stands. */
  moneyText: string;
  /** The bills after the refund: red (冲红) and reissued, each with its H5 address. */
  bills: Array<{ label: string; billNo: string; url: string }>;
  /** Still moving: the page refreshes itself. */
  live: boolean;
}

const STEP_MARK: Record<string, string> = { done: '✓ 已通过', current: '● 处理中', pending: '○ 待处理', skipped: '— 未进行', rejected: '✕ 未通过' };

/** A refund request as the patient follows it (the link in the refund notices). */
export function renderRefundPage(v: H5RefundView): string {
  const rows: Array<[string, string]> = [
    ['申请单号', v.refundNo],
    ['退款方式', `原路退回（${v.channelName}）`],
    ['申请人', maskName(v.payer)],
    ['申请时间', beijingTime(v.createdAt)],
    ['退费原因', v.reason],
    ['退款', v.moneyText],
  ];
  if (v.rejectReason) rows.push(['驳回原因', v.rejectReason]);
  const steps = `<section class="card"><h3>审批进度</h3><ul>${v.steps
    .map((s) => `<li><span>${escapeHtml(s.name)}</span><span>${escapeHtml(STEP_MARK[s.status] ?? s.status)}${s.at ? ` ${escapeHtml(beijingTime(new Date(s.at)).slice(5, 16))}` : ''}</span></li>`)
    .join('')}</ul></section>`;
  const bills = v.bills.length
    ? `<section class="card"><h3>票据</h3><ul>${v.bills
        .map((b) => {
          const href = safeHref(b.url);
          return `<li><span>${escapeHtml(b.label)}</span><span>${href ? `<a href="${escapeHtml(href)}">${escapeHtml(b.billNo)}</a>` : escapeHtml(b.billNo)}</span></li>`;
        })
        .join('')}</ul></section>`
    : '';
  const body = `<section class="card">
<div class="kind"><h2>退费申请</h2><span class="badge ${v.tone}">${escapeHtml(v.stateText)}</span></div>
<div class="amount"><div class="yuan"><small>¥</small>${escapeHtml(v.amount)}</div><div class="words">申请退费金额</div></div>
<dl>${rows.map(([k, val]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(val)}</dd>`).join('')}</dl>
</section>
${steps}
${bills}`;
  return shell(`退费申请 ${v.refundNo}`, { name: v.hospitalName, sub: '退费进度查询' }, body, '退费款项原路退回，到账时间以支付渠道为准', v.live ? 30 : undefined);
}

/** 单位通码取票: the form the hospital's one QR code opens (ID number and name, or phone and code). */
export interface LookupView {
  hospitalName: string;
  hospitalCode: string;
  way: 'id' | 'tel' | 'card';
  tel?: string;
  payer?: string;
  /** A note in green (验证码已发送) or an error in red. */
  note?: { kind: 'ok' | 'error'; text: string };
}

export function renderLookupPage(v: LookupView): string {
  const base = `/h5/hospital/${encodeURIComponent(v.hospitalCode)}`;
  const note = v.note ? `<p class="note ${v.note.kind}" data-test="h5-lookup-note">${escapeHtml(v.note.text)}</p>` : '';
  const tab = (way: LookupView['way'], label: string) => `<a class="tab${v.way === way ? ' on' : ''}" href="${base}?way=${way}" data-test="h5-lookup-way-${way}">${label}</a>`;
  const payerInput = `<input name="payer" maxlength="64" placeholder="交款人姓名" value="${escapeHtml(v.payer ?? '')}" data-test="h5-lookup-payer">`;
  const form =
    v.way === 'card'
      ? `<form method="post" action="${base}/bills"><input type="hidden" name="way" value="card">
${payerInput}
<input name="cardNo" maxlength="32" placeholder="就诊卡号" data-test="h5-lookup-card"><button class="btn" type="submit" data-test="h5-lookup-submit">查询我的票据</button></form>`
      : v.way === 'tel'
      ? `<form method="post" action="${base}/code" class="row"><input name="tel" inputmode="numeric" maxlength="11" placeholder="手机号码" value="${escapeHtml(v.tel ?? '')}" data-test="h5-lookup-tel"><button type="submit" class="small" data-test="h5-lookup-send">获取验证码</button></form>
<form method="post" action="${base}/bills"><input type="hidden" name="way" value="tel"><input type="hidden" name="tel" value="${escapeHtml(v.tel ?? '')}">
<input name="smsCode" inputmode="numeric" maxlength="6" placeholder="短信验证码" data-test="h5-lookup-code"><button class="btn" type="submit" data-test="h5-lookup-submit">查询我的票据</button></form>`
      : `<form method="post" action="${base}/bills"><input type="hidden" name="way" value="id">
${payerInput}
<input name="idCardNo" maxlength="18" placeholder="身份证号码" data-test="h5-lookup-id"><button class="btn" type="submit" data-test="h5-lookup-submit">查询我的票据</button></form>`;
  const body = `<section class="card lookup"><div class="tabs">${tab('id', '证件号码')}${tab('card', '就诊卡号')}${tab('tel', '手机号')}</div>${note}${form}
<p class="hint">仅显示近一年在本院开具的电子票据；查询信息仅用于核验身份</p></section>`;
  return shell('电子票据查询', { name: v.hospitalName, sub: '扫码查询本人医疗电子票据' }, body, `${v.hospitalName} 医疗电子票据查询`).replace('</style>', `${LOOKUP_CSS}</style>`);
}

export interface LookupResultView {
  hospitalName: string;
  hospitalCode: string;
  bills: Array<{ billKindName: string; billBatchCode: string; billNo: string; issuedAt: Date; totalAmt: string; stateText: string; url: string }>;
}

export function renderLookupResult(v: LookupResultView): string {
  const list = v.bills.length
    ? `<ul data-test="h5-lookup-bills">${v.bills
        .map((b) => `<li><span><a href="${escapeHtml(safeHref(b.url) ?? '#')}">${escapeHtml(b.billKindName)}</a><br><small>${escapeHtml(b.billBatchCode)}-${escapeHtml(b.billNo)} · ${escapeHtml(beijingTime(b.issuedAt).slice(0, 16))} · ${escapeHtml(b.stateText)}</small></span><span>¥${escapeHtml(b.totalAmt)}</span></li>`)
        .join('')}</ul>`
    : '<p class="hint" data-test="h5-lookup-none">近一年没有查到您的电子票据。请核对信息，或到收费窗口咨询。</p>';
  const body = `<section class="card"><h3>我的电子票据（${v.bills.length} 张）</h3>${list}</section>
<section class="card"><a class="btn" href="/h5/hospital/${encodeURIComponent(v.hospitalCode)}">重新查询</a></section>`;
  return shell('我的电子票据', { name: v.hospitalName, sub: '医疗电子票据' }, body, `${v.hospitalName} 医疗电子票据查询`);
}

const LOOKUP_CSS = `
.tabs{display:flex;gap:8px;margin-bottom:12px}
.tab{flex:1;text-align:center;padding:8px 0;border-radius:8px;background:#f3f4f6;color:#374151;text-decoration:none;font-size:14px}
.tab.on{background:#fdecec;color:#c0392b;font-weight:600}
.lookup input{display:block;width:100%;font-size:16px;padding:12px;border:1px solid #d1d5db;border-radius:10px;margin-bottom:10px}
.lookup .row{display:flex;gap:8px}
.lookup .row input{flex:1}
.small{flex:none;font-size:14px;padding:0 12px;height:46px;border:1px solid #c0392b;color:#c0392b;background:#fff;border-radius:10px}
.lookup .btn{border:0;margin-top:4px}
.note{font-size:13px;margin-bottom:10px;padding:8px 10px;border-radius:8px}
.note.ok{color:#166534;background:#e8f7ee}
.note.error{color:#b91c1c;background:#fdecec}
`;
