/**
 * Demo data for the embedded default: one hospital, two billing points, bill kinds, fiscal
 * charge items with HIS code mapping, business categories, number segments at both points,
 * one HIS application and console users. Runs only on an empty database; the README lists it.
 */
import type { Sql, SqlEm } from './sql';
import {
  BillKind, BillingPoint, BusinessCategory, ChargeCodeMap, FiscalItem, HisApp, Hospital, StockSegment, User,
} from './entities';
import { randomKeyHex, sm2KeyPair } from '../common/gm';
import { seal } from '../common/keys';
import { hashPassword } from '../common/password';

export const DEMO = {
  hospitalCode: 'H44000001',
  hospitalName: '示范市第一人民医院',
  regionCode: '44',
  appid: 'MEDBILL_DEMO_HIS',
  appKey: 'medbill-demo-key-2026',
  places: [
    { code: 'MZ01', name: '门诊收费一号窗口' },
    { code: 'ZY01', name: '住院结算窗口' },
  ],
  kinds: [
    { code: '0401', name: '医疗门诊收费票据（电子）', category: 'outpatient' },
    { code: '0402', name: '医疗住院收费票据（电子）', category: 'inpatient' },
    // The non-medical kinds a hospital also issues (在线开具: 往来结算, 捐赠).
    { code: '0501', name: '行政事业单位资金往来结算票据（电子）', category: 'other' },
    { code: '0601', name: '公益事业捐赠统一票据（电子）', category: 'other' },
  ],
  /** fiscal item code, name, and the HIS charge code(s) mapped to it */
  items: [
    ['01', '挂号费', ['GH', 'GHF']],
    ['02', '诊察费', ['ZC', 'ZCF']],
    ['03', '检查费', ['JC', 'JCF']],
    ['04', '化验费', ['HY', 'HYF']],
    ['05', '治疗费', ['ZL', 'ZLF']],
    ['06', '手术费', ['SS', 'SSF']],
    ['07', '卫生材料费', ['CL', 'CLF']],
    ['08', '西药费', ['XY', 'XYF']],
    ['09', '中药饮片', ['ZY', 'ZYYP']],
    ['10', '中成药费', ['ZCY']],
    ['11', '一般诊疗费', ['YBZL']],
    ['12', '床位费', ['CW', 'CWF']],
    ['13', '护理费', ['HL', 'HLF']],
    ['14', '其他费', ['QT', 'QTF']],
    ['51', '往来款', ['WL']],
    ['61', '捐赠款', ['JZ']],
  ] as Array<[string, string, string[]]>,
  /** busType -> bill kind code */
  categories: [
    ['01', '住院', '0402'],
    ['02', '门诊', '0401'],
    ['03', '急诊', '0401'],
    ['04', '门诊特殊病', '0401'],
    ['05', '体检中心', '0401'],
    ['06', '挂号', '0401'],
    ['91', '往来结算', '0501'],
    ['92', '捐赠', '0601'],
  ] as Array<[string, string, string]>,
  /** segments: place, kind, first number, last number */
  segments: [
    ['MZ01', '0401', 1, 2_000_000],
    ['ZY01', '0401', 2_000_001, 2_100_000],
    ['ZY01', '0402', 1, 500_000],
    ['MZ01', '0501', 1, 10_000],
    ['MZ01', '0601', 1, 10_000],
  ] as Array<[string, string, number, number]>,
  /** paper forms (纸质票据): place, e-bill kind they stand for, paper kind code (in the 8-digit code), name, first, last */
  paperSegments: [
    ['MZ01', '0401', '0101', '医疗门诊收费票据（纸质）', 1, 1000],
    ['ZY01', '0402', '0102', '医疗住院收费票据（纸质）', 1, 1000],
    ['ZY01', '0401', '0101', '医疗门诊收费票据（纸质）', 1001, 1500],
  ] as Array<[string, string, string, string, number, number]>,
  users: [
    // A business user holding every business role (the demo's all-round account; no administrator role: 三员分立).
    { username: 'admin', password: 'admin123', displayName: '演示综合账号', roles: 'finance,cashier,audit' },
    // The three administrators (三员分立): configuration, users and roles, the logs.
    { username: 'sysadmin', password: 'Sysadmin#2026', displayName: '系统管理员 周强', roles: 'sysadmin' },
    { username: 'secadmin', password: 'Secadmin#2026', displayName: '安全管理员 吴静', roles: 'secadmin' },
    { username: 'auditadmin', password: 'Auditadmin#2026', displayName: '审计管理员 郑敏', roles: 'auditadmin' },
    { username: 'finance', password: 'finance123', displayName: '财务科 王会计', roles: 'finance' },
    { username: 'cashier', password: 'cashier123', displayName: '门诊收费员 李敏', roles: 'cashier', placeCode: 'MZ01' },
    { username: 'doctor', password: 'doctor123', displayName: '门诊医生 张伟', roles: 'doctor' },
    { username: 'doctor2', password: 'doctor123', displayName: '门诊医生 刘洋', roles: 'doctor' },
    { username: 'dept', password: 'dept123', displayName: '检验科 赵主任', roles: 'department' },
  ],
};

/** The 8-digit bill code: 2-digit region + 4-digit kind + 2-digit year. */
export function billBatchCode(region: string, kindCode: string, year: number): string {
  return `${region}${kindCode}${String(year % 100).padStart(2, '0')}`;
}

/** `opts.users: false` seeds no console users (a test that builds an older schema, whose user table lacks today's columns). */
export async function seedDemo(em: SqlEm, masterKey: string, year = new Date().getFullYear(), opts: { users?: boolean } = {}): Promise<boolean> {
  if ((await em.count(Hospital, {})) > 0) return false;
  await em.transactional(async (tx) => {
    const keys = sm2KeyPair();
    const hospital = tx.create(Hospital, {
      code: DEMO.hospitalCode,
      name: DEMO.hospitalName,
      regionCode: DEMO.regionCode,
      publicKey: keys.publicKey,
      privateKeyEnc: seal(keys.privateKey, masterKey),
      checkSecretEnc: seal(randomKeyHex(32), masterKey),
      createdAt: new Date(),
    });
    const places = new Map<string, BillingPoint>();
    for (const p of DEMO.places) {
      places.set(p.code, tx.create(BillingPoint, { hospital, code: p.code, name: p.name, active: true, createdAt: new Date() }));
    }
    const kinds = new Map<string, BillKind>();
    for (const k of DEMO.kinds) kinds.set(k.code, tx.create(BillKind, { ...k, electronic: true }));
    for (const [code, name, hisCodes] of DEMO.items) {
      const item = tx.create(FiscalItem, { code, name });
      for (const hisCode of hisCodes) tx.create(ChargeCodeMap, { hospital, hisCode, hisName: name, fiscalItem: item });
    }
    for (const [busType, name, kind] of DEMO.categories) {
      tx.create(BusinessCategory, { hospital, busType, name, billKind: kinds.get(kind)! });
    }
    for (const [place, kind, start, end] of DEMO.segments) {
      tx.create(StockSegment, {
        hospital,
        place: places.get(place)!,
        billKind: kinds.get(kind)!,
        billBatchCode: billBatchCode(DEMO.regionCode, kind, year),
        startNo: start,
        endNo: end,
        nextNo: start,
        status: 'active',
        createdAt: new Date(),
      });
    }
    // Paper stock (table without an entity: written with SQL once the ids exist).
    await tx.flush();
    for (const [place, kind, paperKind, name, start, end] of DEMO.paperSegments) {
      await tx.execute(
        'insert into paper_segment (hospital_id, place_id, bill_kind_id, p_bill_batch_code, name, start_no, end_no, next_no, status, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [hospital.id, places.get(place)!.id, kinds.get(kind)!.id, billBatchCode(DEMO.regionCode, paperKind, year), name, start, end, start, 'active', tx.getPlatform().processDateProperty(new Date())],
        'run',
      );
    }
    // The demo stock as the model keeps it: received from a requisition, confirmed into stock,
    // distributed to the points (nothing left in the pool).
    await seedStockHistory(tx, hospital.id, places, kinds, year);
    tx.create(HisApp, { appid: DEMO.appid, name: 'HIS（演示）', keyEnc: seal(DEMO.appKey, masterKey), hospital, active: true });
    for (const u of opts.users === false ? [] : DEMO.users) {
      tx.create(User, {
        username: u.username,
        displayName: u.displayName,
        passwordHash: await hashPassword(u.password),
        roles: u.roles,
        placeCode: u.placeCode,
        active: true,
        mustChangePassword: false,
        passwordChangedAt: new Date(),
        createdAt: new Date(),
      });
    }
  });
  return true;
}

async function seedStockHistory(sql: Sql, hospitalId: number, places: Map<string, BillingPoint>, kinds: Map<string, BillKind>, year: number): Promise<void> {
  const at = sql.getPlatform().processDateProperty(new Date());
  const run = async (q: string, params: unknown[]) => Number((await sql.execute<{ insertId: number }>(q, params, 'run')).insertId);
  const reqId = await run(
    'insert into requisition (hospital_id, requisition_no, state, revision, remark, created_by, workflow_id, fiscal_requisition_no, reviewer, reviewed_at, submitted_at, stocked_by, stocked_at, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [hospitalId, 'SL-DEMO-0001', 'stocked', 1, '演示数据：初始票据库存', 'finance', null, 'CZ-DEMO-0001', '财政（演示）', at, at, 'finance', at, at, at],
  );
  // One received segment per kind: the union of the demo segments of that kind (they are contiguous).
  const byKind = new Map<string, { start: number; end: number }>();
  for (const [, kind, start, end] of DEMO.segments) {
    const k = byKind.get(kind);
    byKind.set(kind, k ? { start: Math.min(k.start, start), end: Math.max(k.end, end) } : { start, end });
  }
  const event = (type: string, actor: string, detail: string) =>
    run('insert into requisition_event (requisition_id, type, actor, revision, detail, created_at) values (?, ?, ?, ?, ?, ?)', [reqId, type, actor, 1, detail, at]);
  await event('created', 'finance', `SL-DEMO-0001：${[...byKind].map(([k, r]) => `${k} × ${r.end - r.start + 1}`).join('，')}`);
  await event('submitted', 'finance', '第 1 次提交');
  await event('approved', '财政（演示）', '审核人 财政（演示）');
  for (const [kind, r] of byKind) {
    const kindId = kinds.get(kind)!.id;
    await run('insert into requisition_line (requisition_id, bill_kind_id, quantity) values (?, ?, ?)', [reqId, kindId, r.end - r.start + 1]);
    const code = billBatchCode(DEMO.regionCode, kind, year);
    await run(
      'insert into stock_receipt (hospital_id, requisition_id, bill_kind_id, bill_batch_code, start_no, end_no, state, received_at, stocked_by, stocked_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [hospitalId, reqId, kindId, code, r.start, r.end, 'stocked', at, 'finance', at],
    );
    await run(
      'insert into stock_movement (hospital_id, type, bill_kind_id, bill_batch_code, start_no, end_no, quantity, place_id, requisition_id, actor, reason, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [hospitalId, 'stock_in', kindId, code, r.start, r.end, r.end - r.start + 1, null, reqId, 'finance', null, at],
    );
  }
  await event('received', 'system', '号段已下发');
  await event('stocked', 'finance', '确认入库');
  for (const [place, kind, start, end] of DEMO.segments) {
    await run(
      'insert into stock_movement (hospital_id, type, bill_kind_id, bill_batch_code, start_no, end_no, quantity, place_id, requisition_id, actor, reason, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [hospitalId, 'distribute', kinds.get(kind)!.id, billBatchCode(DEMO.regionCode, kind, year), start, end, end - start + 1, places.get(place)!.id, null, 'finance', '演示数据：初始分发', at],
    );
  }
}
