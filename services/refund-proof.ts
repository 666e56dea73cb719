/**
 * The proof that a refund action comes from the API (issue 13 point 2: the workflow trusts no
 * caller). The refund's process takes actions as Temporal updates whose payload names the actor
 * and their roles; anyone who reaches Temporal's frontend could send one. So the API signs every
 * action (temporal/refund-client.ts actOnRefund) and the worker verifies the proof in a local
 * activity inside the update handler, before anything changes (workflows/refund.ts).
 *
 * proof = HMAC-SM3 under a key derived from the master key (its own label, here only) over the
 * canonical text of the action: the refund number, the action, the actor (user name, name, roles,
 * billing point, applicant or not) and every other field, a random nonce and the time it was issued.
 * The worker refuses a proof that does not match, is older than PROOF_MAX_AGE_MS (or from the
 * future beyond the clock skew allowed), or whose nonce was used for another update before
 * (`refund_proof_nonce`). A refusal is E0092 「操作凭证无效」.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hmacSm3Hex } from '../common/gm';
import { DomainError } from '../common/errors';
import type { Deps } from './deps';
import type { RefundActionName } from '../domain/refund/states';
import type { RefundActor } from '../domain/refund/permissions';
import { pruneProofNonces, useProofNonce } from '../orm/repositories/refund-proofs';

/** What the API attaches to an action (temporal/messages.ts RefundActionInput.proof). */
export interface RefundActionProof {
  /** 32 hex digits, random, used once. */
  nonce: string;
  /** ISO time the API signed the action. */
  issuedAt: string;
  /** HMAC-SM3 (hex) of the canonical text. */
  mac: string;
}

/** One person's action on a refund (the refundAction update's payload, temporal/messages.ts); the proof covers every field. */
export interface RefundActionInput {
  action: RefundActionName;
  actor: RefundActor;
  /** The version the person saw; a decision on an older one is refused (E0093). */
  version?: number;
  comment?: string;
  /** return: the earlier step to go back to. */
  toStep?: number;
  /** transfer: the user to hand the step to, and that user's roles (checked by the API). */
  to?: { username: string; displayName: string; roles: string[] };
  /** extend: hours to add to the deadline. */
  hours?: number;
  /** cashier_confirm: the cashier's receipt / UnionPay reference. */
  voucherNo?: string;
  /** The API's signature over all of the above: the worker verifies it before the action is applied. */
  proof?: RefundActionProof;
}

/** How long a signed action may take from the API to the worker. */
export const PROOF_MAX_AGE_MS = 5 * 60_000;
/** How far ahead of the worker's clock the API's may be. */
export const PROOF_MAX_SKEW_MS = 60_000;

export const REFUND_PROOF_INVALID = '操作凭证无效';

/** The proof key: derived from the master key under its own label (never the session's or the H5 page's key). */
const proofKey = (masterKey: string) => hmacSm3Hex(masterKey, 'medbill refund action proof v1');

/**
 * The canonical text of an action: a JSON array of its fields in a fixed order (absent ones as
 * null), so no two different actions share a text.
 */
export function canonicalRefundAction(refundNo: string, i: RefundActionInput, nonce: string, issuedAt: string): string {
  const a = i.actor ?? ({} as RefundActionInput['actor']);
  return JSON.stringify([
    'medbill-refund-action-v1',
    refundNo,
    i.action ?? null,
    a.username ?? null,
    a.displayName ?? null,
    Array.isArray(a.roles) ? a.roles : null,
    a.placeCode ?? null,
    a.isApplicant ?? null,
    i.version ?? null,
    i.comment ?? null,
    i.toStep ?? null,
    i.to ? [i.to.username ?? null, i.to.displayName ?? null, Array.isArray(i.to.roles) ? i.to.roles : null] : null,
    i.hours ?? null,
    i.voucherNo ?? null,
    nonce,
    issuedAt,
  ]);
}

/** The action with its proof attached (by the API, right before it is sent). */
export function signRefundAction<T extends RefundActionInput>(masterKey: string, refundNo: string, i: T, now = new Date()): T {
  const { proof: _ignored, ...action } = i;
  const nonce = randomBytes(16).toString('hex');
  const issuedAt = now.toISOString();
  const mac = hmacSm3Hex(proofKey(masterKey), canonicalRefundAction(refundNo, action, nonce, issuedAt));
  return { ...action, proof: { nonce, issuedAt, mac } } as T;
}

const refused = () => new DomainError('E0092', `proof: ${REFUND_PROOF_INVALID}`, 'proof');

const sameHex = (a: string, b: string) => {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The proof's form, its MAC and its age (no I/O). */
export function checkRefundProof(masterKey: string, refundNo: string, i: RefundActionInput, now = new Date()): RefundActionProof {
  const p = i.proof;
  if (!p || typeof p.nonce !== 'string' || !/^[0-9a-f]{32}$/.test(p.nonce) || typeof p.issuedAt !== 'string' || typeof p.mac !== 'string') throw refused();
  const issued = Date.parse(p.issuedAt);
  if (!Number.isFinite(issued) || new Date(issued).toISOString() !== p.issuedAt) throw refused();
  const age = now.getTime() - issued;
  if (age > PROOF_MAX_AGE_MS || age < -PROOF_MAX_SKEW_MS) throw refused();
  const { proof: _p, ...action } = i;
  const want = hmacSm3Hex(proofKey(masterKey), canonicalRefundAction(refundNo, action, p.nonce, p.issuedAt));
  if (!sameHex(want, p.mac.toLowerCase())) throw refused();
  return p;
}

/**
 * Verifies a signed action for the update `updateKey` (workflow run and update id) of refund
 * `refundNo` and uses up its nonce. Throws E0092 「操作凭证无效」 when the proof is missing,
 * forged, stale, or was used before for another update.
 */
export async function verifyRefundAction(deps: Deps, v: { refundNo: string; updateKey: string; input: RefundActionInput }, now = new Date()): Promise<void> {
  const p = checkRefundProof(deps.masterKey, v.refundNo, v.input, now);
  const em = deps.orm.em.fork();
  if (!(await useProofNonce(em, { nonce: p.nonce, refundNo: v.refundNo, updateKey: v.updateKey, at: now }))) throw refused();
  await pruneProofNonces(em, new Date(now.getTime() - 2 * (PROOF_MAX_AGE_MS + PROOF_MAX_SKEW_MS)));
}
