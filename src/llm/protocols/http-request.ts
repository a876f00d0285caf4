/** A request ready for the wire; the transport knows nothing about either protocol. */
export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What a codec needs from the client's options to build its request. */
export interface RequestDefaults {
  apiKey: string;
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
  fallbackModels: readonly string[] | undefined;
  maxOutputTokens: number | undefined;
}
