/**
 * A HIS client for the interface (tests, the benchmark, integrators trying the demo): wraps
 * business requests in the signed envelope and opens signed answers.
 */
import { randomUUID } from 'node:crypto';
import { buildRequest, openResponse, type ResponseEnvelope } from '../../protocol/his-envelope';
import { chinaTime } from '../../common/china-time';

export interface HisAnswer<T = any> {
  result: string;
  message: T;
  signOk: boolean;
  httpStatus: number;
}

export class HisClient {
  constructor(
    readonly baseUrl: string,
    readonly appid: string,
    readonly key: string,
  ) {}

  async call<T = any>(method: string, business: unknown): Promise<HisAnswer<T>> {
    const body = JSON.stringify(buildRequest(this.appid, this.key, business));
    return this.post<T>(method, body);
  }

  /**
   * What a HIS does in production: the same request again (same busNo, so idempotent) when the
   * platform answers "still in progress" (E0050), an internal error (E9999) or the call fails.
   */
  async callWithRetry<T = any>(method: string, business: unknown, attempts = 10): Promise<HisAnswer<T>> {
    let last: HisAnswer<T> | undefined;
    for (let i = 0; i < attempts; i++) {
      try {
        last = await this.call<T>(method, business);
        if (last.result !== 'E0050' && last.result !== 'E9999') return last;
      } catch (e) {
        if (i === attempts - 1) throw e;
      }
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** i)));
    }
    return last!;
  }

  /** Sends a raw body (for malformed-input tests). */
  async post<T = any>(method: string, body: string): Promise<HisAnswer<T>> {
    const res = await fetch(`${this.baseUrl}/medical-web/api/medical/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
    });
    const json = (await res.json()) as ResponseEnvelope;
    return { ...openResponse(json, this.appid, this.key), httpStatus: res.status };
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** yyyyMMddHHmmssSSS in China time. */
export function busDateTime(d = new Date()): string {
  return chinaTime(d).his;
}

/** A realistic outpatient settlement as a HIS sends it (demo hospital codes). */
export function sampleOutpatient(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    busNo: `MZ${Date.now()}${randomUUID().slice(0, 8)}`,
    busType: '02',
    payer: '张三',
    busDateTime: busDateTime(),
    placeCode: 'MZ01',
    payee: '李敏',
    author: '李敏',
    checker: '王芳',
    totalAmt: 126.5,
    remark: '',
    tel: '13800138000',
    email: 'zhangsan@example.com',
    payerType: '1',
    idCardNo: '440101199001031234',
    cardType: '1',
    cardNo: 'JZK0001',
    patientNo: 'P0001',
    patientId: 'P0001',
    sex: '男',
    age: '36',
    patientCategory: '内科',
    patientCategoryCode: 'NK',
    consultationDate: busDateTime().slice(0, 8),
    medicalInstitution: '综合医院',
    medCareTypeCode: '1',
    medicalCareType: '自费',
    payChannelDetail: [
      { payChannelCode: '05', payChannelValue: 100 },
      { payChannelCode: '02', payChannelValue: '26.50' },
    ],
    chargeDetail: [
      { sortNo: 1, chargeCode: 'GH', chargeName: '挂号费', unit: '次', std: 10, number: 1, amt: 10, selfAmt: 10 },
      { sortNo: 2, chargeCode: 'HY', chargeName: '化验费', unit: '项', std: 45.5, number: 2, amt: 91, selfAmt: 91 },
      { sortNo: 3, chargeCode: 'XY', chargeName: '西药费', unit: '盒', std: 25.5, number: 1, amt: 25.5, selfAmt: 25.5 },
    ],
    listDetail: [
      { listDetailNo: '1', chargeCode: 'GH', chargeName: '挂号费', code: 'GH001', name: '普通门诊挂号', unit: '次', std: 10, number: 1, amt: 10 },
      { listDetailNo: '2', chargeCode: 'HY', chargeName: '化验费', code: 'HY001', name: '血常规', unit: '项', std: 45.5, number: 2, amt: 91 },
      { listDetailNo: '3', chargeCode: 'XY', chargeName: '西药费', code: 'XY001', name: '阿莫西林胶囊', specification: '0.25g*24粒', unit: '盒', std: 25.5, number: 1, amt: 25.5 },
    ],
    ...overrides,
  };
}

/**
 * The H5 address of a bill a HIS can print before the bill exists (offline, seed 001 3(5)):
 *   {publicUrl}/h5/b/{appid}/{busNo}?t={token}
 *   token = first 16 hex digits (lower case) of HMAC-SM3(appKey, appid + '|' + busNo)
 * HMAC is RFC 2104 over SM3 (block 64 bytes), key and message as UTF-8 bytes. Written out here
 * the way a HIS integrator would, independently of the platform's own code.
 */
export function advanceH5Url(publicUrl: string, appid: string, appKey: string, busNo: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { sm3 } = require('sm-crypto-v2') as { sm3(input: Uint8Array): string };
  const hash = (b: Buffer) => Buffer.from(sm3(new Uint8Array(b)), 'hex');
  let key = Buffer.from(appKey, 'utf8');
  if (key.length > 64) key = hash(key);
  key = Buffer.concat([key, Buffer.alloc(64 - key.length)]);
  const pad = (x: number) => Buffer.from(key.map((b) => b ^ x));
  const inner = hash(Buffer.concat([pad(0x36), Buffer.from(`${appid}|${busNo}`, 'utf8')]));
  const token = hash(Buffer.concat([pad(0x5c), inner])).toString('hex').slice(0, 16);
  return `${publicUrl.replace(/\/$/, '')}/h5/b/${encodeURIComponent(appid)}/${encodeURIComponent(busNo)}?t=${token}`;
}
