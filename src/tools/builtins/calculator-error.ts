/** The expression could not be read or evaluated; the message says where and why. */
export class CalculatorError extends Error {
  override name = 'CalculatorError';
}
