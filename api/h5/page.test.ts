import { escapeHtml, H5BillView, maskName, renderBillPage, renderNotFoundPage, renderPendingPage, renderRefundPage } from './page';

const view: H5BillView = {
  hospitalName: '杭州市第一人民医院',
  billKindName: '浙江省医疗门诊收费票据（电子）',
  billBatchCode: '33010124',
  billNo: '0000012345',
  random: 'a1b2c3',
  issuedAt: new Date('2024-05-06T02:20:30Z'),
  payer: '张三丰',
  totalAmt: '1234.50',
  totalAmtChinese: '壹仟贰佰叁拾肆元伍角',
  state: 'normal',
  stateText: '正常',
  items: [
    { name: '西药费', amt: '600.00' },
    { name: '检查费', amt: '634.50' },
  ],
  pdfUrl: '/h5/bill/33010124/0000012345/pdf?random=a1b2c3',
  verifyHint: '可凭票据代码、号码和校验码查验',
};

describe('escapeHtml', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(escapeHtml(undefined)).toBe('');
  });
});

describe('maskName', () => {
  it('hides the middle of the payer name', () => {
    expect(maskName('张三')).toBe('张*');
    expect(maskName('张三丰')).toBe('张*丰');
    expect(maskName('欧阳娜娜')).toBe('欧**娜');
    expect(maskName('张')).toBe('*');
    expect(maskName('𠀋三丰')).toBe('𠀋*丰'); // characters outside the BMP count as one
  });
});

describe('renderBillPage', () => {
  it('is a complete mobile page with the bill card and the download button', () => {
    const html = renderBillPage(view);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toMatch(/<meta name="viewport" content="width=device-width/);
    expect(html).not.toMatch(/<link|<script|src=|@import|url\(/); // no outside assets, no scripts
    for (const s of ['33010124', '0000012345', 'a1b2c3', '1234.50', '壹仟贰佰叁拾肆元伍角', '西药费', '634.50', '2024-05-06 10:20:30']) expect(html).toContain(s);
    expect(html).toContain('张*丰');
    expect(html).not.toContain('张三丰');
    expect(html).toContain('class="badge ok">正常<');
    expect(html).toContain('href="/h5/bill/33010124/0000012345/pdf?random=a1b2c3"');
    expect(html).toContain('下载电子票据（PDF）');
    expect(html).not.toContain('版式文件生成中');
    // The hospital issues the bill: the footer names it, not the software.
    expect(html).toContain('<footer>本票据由杭州市第一人民医院开具，可扫码查验真伪</footer>');
    expect(html).not.toMatch(/medbill/i);
  });

  it('says the layout file is being made while there is no PDF link', () => {
    const html = renderBillPage({ ...view, pdfUrl: undefined });
    expect(html).toContain('版式文件生成中，请稍后刷新');
    expect(html).not.toContain('下载电子票据');
  });

  it('shows reversed bills with a red badge', () => {
    const html = renderBillPage({ ...view, state: 'reversed', stateText: '已冲红' });
    expect(html).toContain('class="badge red">已冲红<');
    expect(html).not.toContain('相关票据');
  });

  it('leads from a reversed bill to its red bill and its reissue; an unsafe link is left out', () => {
    const html = renderBillPage({
      ...view,
      state: 'reversed',
      stateText: '已冲红',
      related: [
        { label: '冲红票据', billNo: '44040126-0000000002', url: '/h5/bill/44040126/0000000002?random=abc123' },
        { label: '重开票据', billNo: '44040126-0000000003', url: '/h5/bill/44040126/0000000003?random=def456' },
        { label: '原票据', billNo: 'x', url: 'javascript:alert(1)' },
      ],
    });
    expect(html).toContain('本票据已冲红，剩余金额已重新开具票据 44040126-0000000003，报销请使用新票据');
    expect(html).toContain('<span>冲红票据</span><a href="/h5/bill/44040126/0000000002?random=abc123">44040126-0000000002</a>');
    expect(html).toContain('<a href="/h5/bill/44040126/0000000003?random=def456">');
    expect(html).not.toContain('javascript:');
    const redOnly = renderBillPage({ ...view, state: 'reversed', stateText: '已冲红', related: [{ label: '冲红票据', billNo: 'r', url: '/h5/bill/1/2?random=x' }] });
    expect(redOnly).toContain('本票据已冲红，不能再用于报销');
  });

  it('escapes every value', () => {
    const evil = '<script>alert(1)</script>"\'&';
    const html = renderBillPage({
      hospitalName: evil,
      billKindName: evil,
      billBatchCode: evil,
      billNo: evil,
      random: evil,
      issuedAt: view.issuedAt,
      payer: evil,
      totalAmt: evil,
      totalAmtChinese: evil,
      state: evil,
      stateText: evil,
      items: [{ name: evil, amt: evil }],
      pdfUrl: `/x?a=${evil}`,
      verifyHint: evil,
    });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('"\'&');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(html).toContain('class="badge other"');
  });

  it('does not link to javascript: URLs', () => {
    const html = renderBillPage({ ...view, pdfUrl: 'javascript:alert(1)' });
    expect(html).not.toContain('javascript:');
    expect(renderBillPage({ ...view, pdfUrl: '//evil.example/x.pdf' })).not.toContain('evil.example');
  });
});

describe('renderNotFoundPage / renderPendingPage', () => {
  it('says the bill was not found and reveals nothing about any bill', () => {
    const html = renderNotFoundPage();
    expect(html).toContain('未找到票据，请核对票据代码、号码和校验码');
    expect(html).toMatch(/<meta name="viewport"/);
    for (const s of [view.hospitalName, view.billBatchCode, view.billNo, view.random, view.totalAmt, '张', '¥', '下载', '正常', '冲红', 'pdf']) {
      expect(html).not.toContain(s);
    }
    // The same page every time: unknown bill and wrong check code cannot be told apart.
    expect(renderNotFoundPage()).toBe(html);
  });

  it('says a bill is being issued and refreshes itself', () => {
    const html = renderPendingPage();
    expect(html).toContain('票据开具中，请稍后刷新');
    expect(html).toContain('http-equiv="refresh"');
    expect(html).not.toContain(view.billNo);
  });

  it('show no product name', () => {
    for (const html of [renderNotFoundPage(), renderPendingPage()]) expect(html).not.toMatch(/medbill/i);
  });
});

describe('renderRefundPage', () => {
  const view = {
    hospitalName: '示范医院',
    refundNo: 'RF001',
    stateText: '已驳回',
    tone: 'red' as const,
    amount: '25.50',
    channelName: '微信支付',
    payer: '张三丰',
    reason: '<b>药品未取</b>',
    createdAt: new Date('2026-11-30T02:00:00Z'),
    rejectReason: '超过时限',
    steps: [
      { name: '门诊医生审核', status: 'done' as const, at: '2026-11-30T03:00:00Z' },
      { name: '计财科审核', status: 'rejected' as const, at: '2026-11-30T04:00:00Z' },
    ],
    moneyText: '不退款',
    bills: [{ label: '冲红票据', billNo: '44040126-0000000002', url: 'javascript:alert(1)' }],
    live: false,
  };
  it('shows the state, the steps in China time, the reason, masked payer, and escapes every value', () => {
    const html = renderRefundPage(view);
    expect(html).toContain('已驳回');
    expect(html).toContain('✓ 已通过 11-30 11:00');
    expect(html).toContain('✕ 未通过 11-30 12:00');
    expect(html).toContain('张*丰');
    expect(html).toContain('&lt;b&gt;药品未取&lt;/b&gt;');
    expect(html).not.toContain('<b>药品未取');
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('http-equiv="refresh"');
    expect(renderRefundPage({ ...view, live: true })).toContain('http-equiv="refresh" content="30"');
  });
});
