/**
 * Demo data for the embedded default: one hospital, two billing points, bill kinds, fiscal
 * charge items with HIS code mapping, business categories, number segments at both points,
 * one HIS application and console users. Runs only on an empty database; the README lists it.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
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
  ] as Array<[string, string, string[]]>,
  /** busType -> bill kind code */
  categories: [
    ['01', '住院', '0402'],
    ['02', '门诊', '0401'],
    ['03', '急诊', '0401'],
    ['04', '门诊特殊病', '0401'],
    ['05', '体检中心', '0401'],
    ['06', '挂号', '0401'],
  ] as Array<[string, string, string]>,
  /** segments: place, kind, first number, last number */
  segments: [
    ['MZ01', '0401', 1, 2_000_000],
    ['ZY01', '0401', 2_000_001, 2_100_000],
    ['ZY01', '0402', 1, 500_000],
  ] as Array<[string, string, number, number]>,
  /** paper forms (纸质票据): place, e-bill kind they stand for, paper kind code (in the 8-digit code), name, first, last */
  paperSegments: [
    ['MZ01', '0401', '0101', '医疗门诊收费票据（纸质）', 1, 1000],
    ['ZY01', '0402', '0102', '医疗住院收费票据（纸质）', 1, 1000],
    ['ZY01', '0401', '0101', '医疗门诊收费票据（纸质）', 1001, 1500],
  ] as Array<[string, string, string, string, number, number]>,
  users: [
    { username: 'admin', password: 'admin123', displayName: '系统管理员', roles: 'admin,finance,cashier,audit' },
    { username: 'finance', password: 'finance123', displayName: '财务科 王会计', roles: 'finance' },
    { username: 'cashier', password: 'cashier123', displayName: '门诊收费员 李敏', roles: 'cashier', placeCode: 'MZ01' },
    { username: 'doctor', password: 'doctor123', displayName: '门诊医生 张伟', roles: 'doctor' },
  ],
};

/** The 8-digit bill code: 2-digit region + 4-digit kind + 2-digit year. */
export function billBatchCode(region: string, kindCode: string, year: number): string {
  return `${region}${kindCode}${String(year % 100).padStart(2, '0')}`;
}

export async function seedDemo(em: EntityManager, masterKey: string, year = new Date().getFullYear()): Promise<boolean> {
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
      await (tx as unknown as SqlEntityManager).execute(
        'insert into paper_segment (hospital_id, place_id, bill_kind_id, p_bill_batch_code, name, start_no, end_no, next_no, status, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [hospital.id, places.get(place)!.id, kinds.get(kind)!.id, billBatchCode(DEMO.regionCode, paperKind, year), name, start, end, start, 'active', tx.getPlatform().processDateProperty(new Date())],
        'run',
      );
    }
    tx.create(HisApp, { appid: DEMO.appid, name: 'HIS（演示）', keyEnc: seal(DEMO.appKey, masterKey), hospital, active: true });
    for (const u of DEMO.users) {
      tx.create(User, {
        username: u.username,
        displayName: u.displayName,
        passwordHash: hashPassword(u.password),
        roles: u.roles,
        placeCode: u.placeCode,
        active: true,
        createdAt: new Date(),
      });
    }
  });
  return true;
}
