import { CalculatorError } from './calculator-error.ts';

/**
 * A recursive-descent evaluator for arithmetic, so the calculator never hands model-written text
 * to `eval`. Grammar (lowest precedence first):
 *
 *   expression := term (('+' | '-') term)*
 *   term       := unary (('*' | '/' | '%') unary)*
 *   unary      := ('-' | '+') unary | power
 *   power      := primary ('^' unary)?          right-associative; -2^2 is -(2^2)
 *   primary    := number | constant | function '(' arguments ')' | '(' expression ')'
 */

type Token =
  | { kind: 'number'; value: number; position: number }
  | { kind: 'name'; value: string; position: number }
  | { kind: 'symbol'; value: string; position: number }
  | { kind: 'end'; position: number };

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, tau: 2 * Math.PI };

interface MathFunction {
  arity: [min: number, max: number];
  apply(...values: number[]): number;
}

const FUNCTIONS: Record<string, MathFunction> = {
  sqrt: { arity: [1, 1], apply: (x) => (x < 0 ? fail(`sqrt of a negative number (${x})`) : Math.sqrt(x)) },
  cbrt: { arity: [1, 1], apply: Math.cbrt },
  abs: { arity: [1, 1], apply: Math.abs },
  round: { arity: [1, 2], apply: (x, digits = 0) => roundTo(x, digits) },
  floor: { arity: [1, 1], apply: Math.floor },
  ceil: { arity: [1, 1], apply: Math.ceil },
  min: { arity: [1, Infinity], apply: Math.min },
  max: { arity: [1, Infinity], apply: Math.max },
  ln: { arity: [1, 1], apply: (x) => (x <= 0 ? fail(`ln of a non-positive number (${x})`) : Math.log(x)) },
  log: { arity: [1, 1], apply: (x) => (x <= 0 ? fail(`log of a non-positive number (${x})`) : Math.log10(x)) },
  log2: { arity: [1, 1], apply: (x) => (x <= 0 ? fail(`log2 of a non-positive number (${x})`) : Math.log2(x)) },
  exp: { arity: [1, 1], apply: Math.exp },
  sin: { arity: [1, 1], apply: Math.sin },
  cos: { arity: [1, 1], apply: Math.cos },
  tan: { arity: [1, 1], apply: Math.tan },
};

/** Bounds nesting so a hostile expression cannot exhaust the stack. */
const MAX_DEPTH = 200;

export const CALCULATOR_FUNCTIONS = Object.keys(FUNCTIONS);
export const CALCULATOR_CONSTANTS = Object.keys(CONSTANTS);

export function evaluate(expression: string): number {
  const parser = new Parser(tokenize(expression));
  const value = parser.parseAll();
  if (!Number.isFinite(value)) throw new CalculatorError('the result is not a finite number (overflow?)');
  return value;
}

/** Twelve significant digits hide binary noise (0.1 + 0.2 shows as 0.3). */
export function formatNumber(value: number): string {
  if (Object.is(value, -0)) return '0';
  return String(Number(value.toPrecision(12)));
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    const number = /^(?:\d+(?:_\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(index));
    if (number) {
      // "1_000" groups digits; a comma always separates function arguments.
      tokens.push({ kind: 'number', value: Number(number[0].replaceAll('_', '')), position: index });
      index += number[0].length;
      continue;
    }
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(index));
    if (name) {
      tokens.push({ kind: 'name', value: name[0].toLowerCase(), position: index });
      index += name[0].length;
      continue;
    }
    if ('+-*/%^(),'.includes(char) || char === '×' || char === '÷' || char === '−') {
      const normalized = char === '×' ? '*' : char === '÷' ? '/' : char === '−' ? '-' : char;
      // "**" is a common spelling of power.
      if (char === '*' && text[index + 1] === '*') {
        tokens.push({ kind: 'symbol', value: '^', position: index });
        index += 2;
        continue;
      }
      tokens.push({ kind: 'symbol', value: normalized, position: index });
      index += 1;
      continue;
    }
    throw new CalculatorError(`unexpected character "${char}" at position ${index + 1}`);
  }
  tokens.push({ kind: 'end', position: text.length });
  return tokens;
}

class Parser {
  readonly #tokens: Token[];
  #index = 0;
  #depth = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  parseAll(): number {
    if (this.#peek().kind === 'end') throw new CalculatorError('the expression is empty');
    const value = this.#expression();
    const next = this.#peek();
    if (next.kind !== 'end') throw new CalculatorError(`unexpected ${describe(next)} at position ${next.position + 1}`);
    return value;
  }

  #expression(): number {
    this.#enter();
    let value = this.#term();
    for (;;) {
      if (this.#acceptSymbol('+')) value += this.#term();
      else if (this.#acceptSymbol('-')) value -= this.#term();
      else break;
    }
    this.#depth -= 1;
    return value;
  }

  #term(): number {
    let value = this.#unary();
    for (;;) {
      const token = this.#peek();
      if (this.#acceptSymbol('*')) value *= this.#unary();
      else if (this.#acceptSymbol('/')) {
        const divisor = this.#unary();
        if (divisor === 0) throw new CalculatorError(`division by zero at position ${token.position + 1}`);
        value /= divisor;
      } else if (this.#acceptSymbol('%')) {
        const divisor = this.#unary();
        if (divisor === 0) throw new CalculatorError(`modulo by zero at position ${token.position + 1}`);
        value %= divisor;
      } else break;
    }
    return value;
  }

  #unary(): number {
    this.#enter();
    let value: number;
    if (this.#acceptSymbol('-')) value = -this.#unary();
    else if (this.#acceptSymbol('+')) value = this.#unary();
    else value = this.#power();
    this.#depth -= 1;
    return value;
  }

  #power(): number {
    const base = this.#primary();
    if (!this.#acceptSymbol('^')) return base;
    const exponent = this.#unary();
    const value = base ** exponent;
    if (Number.isNaN(value)) throw new CalculatorError(`${formatNumber(base)}^${formatNumber(exponent)} is not a real number`);
    return value;
  }

  #primary(): number {
    const token = this.#next();
    if (token.kind === 'number') return token.value;
    if (token.kind === 'symbol' && token.value === '(') {
      const value = this.#expression();
      this.#expectSymbol(')', token.position);
      return value;
    }
    if (token.kind === 'name') {
      const fn = FUNCTIONS[token.value];
      if (fn) return this.#call(token.value, fn, token.position);
      const constant = CONSTANTS[token.value];
      if (constant !== undefined) return constant;
      throw new CalculatorError(
        `unknown name "${token.value}" at position ${token.position + 1}; functions: ${CALCULATOR_FUNCTIONS.join(', ')}; constants: ${CALCULATOR_CONSTANTS.join(', ')}`,
      );
    }
    if (token.kind === 'end') throw new CalculatorError('the expression ends too early');
    throw new CalculatorError(`unexpected ${describe(token)} at position ${token.position + 1}`);
  }

  #call(name: string, fn: MathFunction, position: number): number {
    if (!this.#acceptSymbol('(')) throw new CalculatorError(`${name} needs parentheses, e.g. ${name}(2) (position ${position + 1})`);
    const args: number[] = [];
    if (!this.#acceptSymbol(')')) {
      do args.push(this.#expression());
      while (this.#acceptSymbol(','));
      this.#expectSymbol(')', position);
    }
    const [min, max] = fn.arity;
    if (args.length < min || args.length > max) {
      const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      throw new CalculatorError(`${name} takes ${expected} argument${expected === '1' ? '' : 's'}, got ${args.length}`);
    }
    return fn.apply(...args);
  }

  #enter(): void {
    this.#depth += 1;
    if (this.#depth > MAX_DEPTH) throw new CalculatorError('the expression is nested too deeply');
  }

  #peek(): Token {
    return this.#tokens[this.#index] ?? { kind: 'end', position: 0 };
  }

  #next(): Token {
    const token = this.#peek();
    if (token.kind !== 'end') this.#index += 1;
    return token;
  }

  #acceptSymbol(symbol: string): boolean {
    const token = this.#peek();
    if (token.kind === 'symbol' && token.value === symbol) {
      this.#index += 1;
      return true;
    }
    return false;
  }

  #expectSymbol(symbol: string, openedAt: number): void {
    if (this.#acceptSymbol(symbol)) return;
    const token = this.#peek();
    if (token.kind === 'end') throw new CalculatorError(`missing "${symbol}" for the "(" at position ${openedAt + 1}`);
    throw new CalculatorError(`expected "${symbol}" but found ${describe(token)} at position ${token.position + 1}`);
  }
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'end of expression';
  if (token.kind === 'number') return `number ${token.value}`;
  return `"${token.value}"`;
}

function roundTo(value: number, digits: number): number {
  if (!Number.isInteger(digits) || digits < 0 || digits > 15) fail('round digits must be a whole number from 0 to 15');
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function fail(message: string): never {
  throw new CalculatorError(message);
}
