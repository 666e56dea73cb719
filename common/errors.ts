/**
 * The small set of domain errors. Each carries an interface result code (E....) and, where one
 * field is at fault, its name; api/ maps them to the HIS envelope and to HTTP in one place.
 */
export type ErrorCode =
  | 'E0001' // malformed request (envelope, JSON, Base64)
  | 'E0002' // bad signature
  | 'E0003' // unknown or disabled appid
  | 'E0010' // a required field is missing or has the wrong form
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
  | 'E0050' // issuance still in progress (retry with the same busNo)
  | 'E0080' // payment channel unavailable (network, 5xx, SYSTEM_ERROR, FREQUENCY_LIMITED): retry with the same refund number
  | 'E0081' // payment channel refused the refund (its code and message say why): retrying does not help
  | 'E0082' // payment notice signature invalid (forged or wrong platform key)
  | 'E0083' // payment notice malformed or its resource cannot be decrypted
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
