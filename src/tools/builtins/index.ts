import type { Tool } from '../tool.ts';
import { calculatorTool } from './calculator.ts';
import { currentTimeTool, type CurrentTimeOptions } from './current-time.ts';
import { fetchUrlTool, type FetchUrlOptions } from './fetch-url.ts';
import { imageTool, type ImageToolOptions } from './image.ts';

export { calculatorTool } from './calculator.ts';
export { CalculatorError } from './calculator-error.ts';
export { currentTimeTool, describeTime, type CurrentTimeOptions } from './current-time.ts';
export { fetchUrlTool, type FetchUrlOptions, type Resolver } from './fetch-url.ts';
export { FetchUrlRefusedError } from './fetch-url-refused-error.ts';
export { createAddressPolicy, type AddressPolicy } from './address-policy.ts';
export { htmlToText, type ReadablePage } from './html-to-text.ts';
export { evaluate, formatNumber } from './arithmetic.ts';
export { imageTool, type ImageToolOptions } from './image.ts';
export { RedisUploadLedger, type UploadLedger } from './image-upload-ledger.ts';

export interface BuiltinToolsOptions {
  currentTime?: CurrentTimeOptions;
  fetchUrl?: FetchUrlOptions;
  /** Without it there is no image tool. */
  image?: ImageToolOptions;
}

/** Every built-in tool, in the order they are listed to people. */
export function builtinTools(options: BuiltinToolsOptions = {}): Tool[] {
  return [currentTimeTool(options.currentTime), calculatorTool(), fetchUrlTool(options.fetchUrl), ...(options.image ? [imageTool(options.image)] : [])];
}
