/**
 * The small set of domain errors. Each carries an interface result code (E....) and, where one
 * field is at fault, its name; api/ maps them to the HIS envelope and to HTTP in one place.
 */
export type ErrorCode =
  | 'E0001' // malformed request (envelope, JSON, Base64)
  | 'E0002' // bad signature
  | 'E0003' // unknown or disabled appid
  | 'E0004' // console: not signed in, session expired, or wrong user name / password (HTTP 401)
  | 'E0005' // console: signed in, but no permission for this (role, or another billing point's data) (HTTP 403)
  | 'E0006' // console: the user name is locked after too many wrong passwords (HTTP 423)
  | 'E0007' // too many failed attempts from this address (sign-in, H5 check codes) (HTTP 429)
  | 'E0008' // console: the password must be changed first (reset or expired) (HTTP 403)
  | 'E0009' // console: the user must enrol a second factor first (administrators and finance) (HTTP 403)
  | 'E0010' // a required field is missing or has the wrong form
  | 'E0015' // console: the password was right; the user's second factor (TOTP or recovery code) is asked for (HTTP 401)
  | 'E0016' // console: password sign-in refused while single sign-on is on: the user signs in through the identity platform (HTTP 403)
  | 'E0013' // system management: refused by a rule (三员分立, one's own account, a role in use, a built-in administrator role) (HTTP 409)
  | 'E0014' // system management: user or role not found (HTTP 404)
  | 'E0011' // amounts do not add up
  | 'E0012' // busNo already used with different content
  | 'E0020' // unknown or inactive billing point
  | 'E0021' // unmapped HIS charge code
  | 'E0022' // business type not mapped to a bill kind
  | 'E0023' // no bill numbers left at the billing point
  | 'E0030' // bill not found
  | 'E0031' // operation not allowed in the bill's state
  | 'E0032' // reversal waits for the bill's paper form to be recovered and voided
  | 'E0033' // check code (random) does not match the bill
  | 'E0034' // paper number refused (not the point's next unused number, not printed, not blank)
  | 'E0040' // unknown interface method
  | 'E0065' // requisition: not allowed in its state (edit after submit, stock-in before approval ...)
  | 'E0066' // stock range not available: numbers not in the hospital pool / not unused at the point
  | 'E0067' // billing point: change refused (nesting cycle, delete or deactivate in use, duplicate code)
  | 'E0068' // the fiscal platform refused the requisition (its reason in the message)
  | 'E0069' // number-continuity audit: a number counted twice or missing
  | 'E0070' // seal: refused by a rule (two seals of one kind valid at once, not a usable PNG image)
  | 'E0050' // issuance still in progress (retry with the same busNo)
  | 'E0060' // the fiscal platform is unavailable (outage, timeout): try again later
  | 'E0061' // the fiscal platform refused the request (its code and reason in the message)
  | 'E0062' // fiscal charge item unknown or no longer served by the fiscal platform (inactive)
  | 'E0063' // already exists (a mapping for that HIS code, a business category, an item group name)
  | 'E0064' // bill kind unknown or no longer served by the fiscal platform (inactive)
  | 'E0070' // fiscal platform unavailable: the upload / status query is retried automatically
  | 'E0071' // the fiscal platform rejected a bill (or its whole upload batch)
  | 'E0072' // re-upload refused: only a rejected bill can be put back in the upload queue
  | 'E0073' // the upload could not be started now (schedule missing or Temporal unreachable)
  | 'E0074' // the fiscal platform refused the accounting-status query
  | 'E0080' // payment channel unavailable (network, 5xx, SYSTEM_ERROR, FREQUENCY_LIMITED): retry with the same refund number
  | 'E0081' // payment channel refused the refund (its code and message say why): retrying does not help
  | 'E0082' // payment notice signature invalid (forged or wrong platform key)
  | 'E0083' // payment notice malformed or its resource cannot be decrypted
  | 'E0090' // refund not found
  | 'E0091' // refund refused by a rule (amount over what is left, insured across a month, too old for the channel, one at a time per bill)
  | 'E0092' // refund action not allowed now (its state, or the user's role on the current step)
  | 'E0093' // refund step already decided by someone else (a stale version): reload and decide again
  | 'E0094' // refundNo already used with different content
  | 'E0095' // the bill has a refund in progress: no reversal, partial refund or second refund until it is settled
  | 'E9999'; // internal error (never for bad input)

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
  toJSON(): { code: ErrorCode; message: string; field?: string } {
    return { code: this.code, message: this.message, field: this.field };
  }
}

export const fieldError = (field: string, message: string, code: ErrorCode = 'E0010') =>
  new DomainError(code, `${field}: ${message}`, field);
