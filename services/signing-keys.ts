/**
 * The hospitals' public keys and an external signing server (MEDBILL_SIGNER_URL): the private key
 * lives in the signing server, so the public key the platform prints, uploads and verifies with is
 * the server's (GET /keys/{hospital code}). Checked when the platform starts:
 * - a hospital seeded just now takes the server's key (the seed's own key pair is never used);
 * - an existing hospital whose key differs stops the start (bills signed with one key and checked
 *   with another would all fail): the operator aligns them on purpose;
 * - a server that does not answer is reported and the start goes on: the remote signer verifies
 *   every signature it gets, so no bill is issued with a wrong key.
 */
import { signerPublicKey } from '../adapters/signing/remote-signer';
import { hospitalPublicKeys, setHospitalPublicKey } from '../orm/repositories/hospitals';
import type { Db } from '../orm/repositories/db';

export interface KeyCheckLog {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
}

export async function alignSigningKeys(db: Db, signerUrl: string, seededNow: boolean, log: KeyCheckLog): Promise<void> {
  if (!signerUrl) return;
  for (const h of await hospitalPublicKeys(db)) {
    let pk: string;
    try {
      pk = await signerPublicKey(signerUrl, h.code);
    } catch (e) {
      if (seededNow) throw new Error(`the demo hospital ${h.code} needs its public key from the signing server: ${(e as Error).message}`);
      log.warn('the signing server did not give the hospital\'s public key; each signature is verified when it comes', { hospital: h.code, reason: (e as Error).message });
      continue;
    }
    if (pk === h.publicKey.toLowerCase()) continue;
    if (!seededNow) {
      throw new Error(`hospital ${h.code}: its public key (${h.publicKey.slice(0, 18)}…) is not the signing server's key ${h.code} (${pk.slice(0, 18)}…); align them before starting`);
    }
    await setHospitalPublicKey(db, h.id, pk);
    log.info('the hospital takes the signing server\'s public key', { hospital: h.code });
  }
}
