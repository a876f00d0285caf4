import { z } from 'zod';
import { defineTool, type Tool } from '../tool.ts';
import { CALCULATOR_CONSTANTS, CALCULATOR_FUNCTIONS, evaluate, formatNumber } from './arithmetic.ts';

/** `calculator`: exact-enough arithmetic, because models are unreliable at it. */
export function calculatorTool(): Tool {
  return defineTool({
    name: 'calculator',
    description: `Evaluates an arithmetic expression: + - * / % ^ (power), parentheses, decimals, functions ${CALCULATOR_FUNCTIONS.join(', ')} and constants ${CALCULATOR_CONSTANTS.join(', ')}. Example: "sqrt(2) * (3 + 4)^2 / 7".`,
    input: z.object({
      expression: z.string().min(1).max(1000).describe('The arithmetic expression to evaluate'),
    }),
    async run(input) {
      return `${input.expression.trim()} = ${formatNumber(evaluate(input.expression))}`;
    },
  });
}
