/** A price as the API shows it: a decimal string in the currency's major unit, e.g. "49.00" USD. */
export interface Money {
  amount: string;
  currencyCode: string;
}

const fractionDigitsCache = new Map<string, number>();

/** How many minor-unit digits an ISO 4217 currency has (USD 2, JPY 0, BHD 3). */
export function currencyFractionDigits(currencyCode: string): number {
  const code = currencyCode.toUpperCase();
  let digits = fractionDigitsCache.get(code);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions()
      .maximumFractionDigits;
    if (digits === undefined) throw new RangeError(`Unknown currency ${code}`);
    fractionDigitsCache.set(code, digits);
  }
  return digits;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Converts a decimal string to an integer count of minor units without floating point,
 * so "19.99" is exactly 1999. Throws on more digits than the currency has.
 */
export function toMinorUnits(money: Money): number {
  const match = DECIMAL.exec(money.amount.trim());
  if (!match) throw new RangeError(`Not a decimal amount: ${money.amount}`);
  const digits = currencyFractionDigits(money.currencyCode);
  const whole = match[1] ?? '0';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) {
    throw new RangeError(`${money.amount} has more decimals than ${money.currencyCode} allows`);
  }
  const minor = Number(whole + fraction.padEnd(digits, '0'));
  if (!Number.isSafeInteger(minor)) throw new RangeError(`Amount too large: ${money.amount}`);
  return minor;
}

/** The inverse of toMinorUnits: 1999 USD becomes { amount: "19.99", currencyCode: "USD" }. */
export function fromMinorUnits(minor: number, currencyCode: string): Money {
  const code = currencyCode.toUpperCase();
  const digits = currencyFractionDigits(code);
  const sign = minor < 0 ? '-' : '';
  const padded = String(Math.abs(minor)).padStart(digits + 1, '0');
  const amount =
    digits === 0 ? padded : `${padded.slice(0, -digits)}.${padded.slice(padded.length - digits)}`;
  return { amount: sign + amount, currencyCode: code };
}
