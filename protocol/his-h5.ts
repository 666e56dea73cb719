/** A HIS-side computation the platform honours: the patient page of a bill not yet issued. */
import { hmacSm3Hex } from '../common/gm';

/**
 * The H5 address a HIS can compute before the bill exists (offline, from its serial number):
 * `{publicUrl}/h5/b/{appid}/{busNo}?t={token}`, token = the first 16 hex digits (lower case) of
 * HMAC-SM3(app key, `{appid}|{busNo}`) (RFC 2104 HMAC over SM3, key and message as UTF-8 bytes).
 * The page waits for the bill, then shows it.
 */
export function advanceH5Token(appKey: string, appid: string, busNo: string): string {
  // a Uint8Array key: sm-crypto would read a string key as hex
  return hmacSm3Hex(new Uint8Array(Buffer.from(appKey, 'utf8')), `${appid}|${busNo}`).slice(0, 16).toLowerCase();
}

export function advanceH5Url(publicUrl: string, appKey: string, appid: string, busNo: string): string {
  return `${publicUrl}/h5/b/${encodeURIComponent(appid)}/${encodeURIComponent(busNo)}?t=${advanceH5Token(appKey, appid, busNo)}`;
}
