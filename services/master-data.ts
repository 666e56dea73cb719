/**
 * Master data the issuing path reads on every bill (apps, billing points, business categories,
 * code mapping) cached per process for a few seconds; a miss reloads at once, so a mapping added
 * in the console is seen by the next bill.
 */
import type { SqlOrm } from '../orm/sql';
import { BillKind, BillingPoint, BusinessCategory, ChargeCodeMap, HisApp, Hospital } from '../orm/entities';
import { unseal } from '../common/keys';

export interface AppInfo {
  appid: string;
  key: string;
  hospitalId: number;
  active: boolean;
}
export interface PlaceInfo {
  id: number;
  code: string;
  name: string;
  active: boolean;
}
export interface KindInfo {
  id: number;
  code: string;
  name: string;
}
export interface HospitalInfo {
  id: number;
  code: string;
  name: string;
  regionCode: string;
  publicKey: string;
  privateKeyEnc: string;
  checkSecret: string;
  places: Map<string, PlaceInfo>;
  categories: Map<string, { name: string; kind: KindInfo }>;
  charges: Map<string, { fiscalCode: string; fiscalName: string }>;
}

const TTL_MS = 5000;

export class MasterData {
  private apps = new Map<string, AppInfo>();
  private hospitals = new Map<number, HospitalInfo>();
  private loadedAt = 0;
  private loading?: Promise<void>;

  constructor(
    private readonly orm: SqlOrm,
    private readonly masterKey: string,
  ) {}

  async app(appid: string): Promise<AppInfo | undefined> {
    await this.fresh();
    if (!this.apps.has(appid)) await this.reload();
    return this.apps.get(appid);
  }

  async hospital(id: number): Promise<HospitalInfo> {
    await this.fresh();
    if (!this.hospitals.has(id)) await this.reload();
    const h = this.hospitals.get(id);
    if (!h) throw new Error(`hospital ${id} not found`);
    return h;
  }

  /** Looks a key up, reloading once on a miss (new master data takes effect at once). */
  async lookup<T>(hospitalId: number, pick: (h: HospitalInfo) => T | undefined): Promise<T | undefined> {
    const v = pick(await this.hospital(hospitalId));
    if (v !== undefined) return v;
    await this.reload();
    return pick(await this.hospital(hospitalId));
  }

  invalidate(): void {
    this.loadedAt = 0;
  }

  private async fresh(): Promise<void> {
    if (Date.now() - this.loadedAt > TTL_MS) await this.reload();
  }

  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<void> {
    const em = this.orm.em.fork();
    const [apps, hospitals, places, cats, maps] = await Promise.all([
      em.find(HisApp, {}),
      em.find(Hospital, {}),
      em.find(BillingPoint, {}),
      em.find(BusinessCategory, {}, { populate: ['billKind'] }),
      em.find(ChargeCodeMap, {}, { populate: ['fiscalItem'] }),
    ]);
    const hs = new Map<number, HospitalInfo>();
    for (const h of hospitals) {
      hs.set(h.id, {
        id: h.id,
        code: h.code,
        name: h.name,
        regionCode: h.regionCode,
        publicKey: h.publicKey,
        privateKeyEnc: h.privateKeyEnc,
        checkSecret: unseal(h.checkSecretEnc, this.masterKey),
        places: new Map(),
        categories: new Map(),
        charges: new Map(),
      });
    }
    const hid = (e: { hospital: Hospital }) => e.hospital.id;
    for (const p of places) hs.get(hid(p))?.places.set(p.code, { id: p.id, code: p.code, name: p.name, active: p.active });
    for (const c of cats) {
      const k: BillKind = c.billKind;
      hs.get(hid(c))?.categories.set(c.busType, { name: c.name, kind: { id: k.id, code: k.code, name: k.name } });
    }
    for (const m of maps) hs.get(hid(m))?.charges.set(m.hisCode, { fiscalCode: m.fiscalItem.code, fiscalName: m.fiscalItem.name });
    const as = new Map<string, AppInfo>();
    for (const a of apps) as.set(a.appid, { appid: a.appid, key: unseal(a.keyEnc, this.masterKey), hospitalId: a.hospital.id, active: a.active });
    this.apps = as;
    this.hospitals = hs;
    this.loadedAt = Date.now();
  }
}
