import { z } from 'zod';
import { isLlmError } from '../../llm/errors.ts';
import { ImageClient, type ImageClientOptions } from '../../llm/images.ts';
import { defineTool, type Tool, type ToolOutput, type ToolUploadedFile } from '../tool.ts';
import type { UploadLedger } from './image-upload-ledger.ts';

/**
 * `image`: draws a picture (a diagram, a mock-up, an illustration) with OfoxAI's images endpoint
 * and the channel's image model, and uploads it to the answer's thread. The result names the
 * uploaded file, so the answer's tool line shows it; the model is told not to paste it again.
 */

/** Who an image is charged to. */
export interface ImageSpendScope {
  platform: string;
  workspaceId: string;
  channelId: string;
  userId: string;
}

/** A reservation of an image call's cost on the budgets. */
export interface ImageHold {
  /** `count` images were made: charge them (and record the usage). Never throws. Resolves to the nano-dollars charged. */
  settle(count: number): Promise<number>;
  /** Nothing was made: give the reservation back. Never throws. */
  release(): Promise<void>;
}

/**
 * Budgets for images (`src/governance` implements it): the call's likely cost is reserved before
 * the endpoint is called, and a call the budget cannot pay for is refused with a readable reason.
 */
export interface ImageSpending {
  reserve(request: { scope: ImageSpendScope; model: string; count: number }): Promise<{ ok: true; hold: ImageHold } | { ok: false; reason: string }>;
}

export interface ImageToolOptions {
  /** OfoxAI's endpoint and key; without a key the tool says it is not configured. */
  client?: Pick<ImageClientOptions, 'baseUrl' | 'apiKey'> & Partial<ImageClientOptions>;
  /** Used when the channel has not chosen an image model (OFOX_IMAGE_MODEL). */
  defaultModel: string;
  /** Remembers uploads per job, so a retried job does not upload twice. @defaultValue none (no protection) */
  ledger?: UploadLedger;
  /** Charges images to the budgets. @defaultValue none (images are not charged) */
  spending?: ImageSpending;
  /** @defaultValue DEFAULTS.maxImages */
  maxImages?: number;
  /** @defaultValue DEFAULTS.maxImageBytes */
  maxImageBytes?: number;
}

export const DEFAULTS = {
  /** Images per call. @defaultValue 2 */
  maxImages: 2,
  /** Per image: Slack and Discord both take this without a paid plan. @defaultValue 8 MiB */
  maxImageBytes: 8 * 1024 * 1024,
  /** Generation takes tens of seconds; the tool's own timeout must outlast it. @defaultValue 180 s */
  timeoutMs: 180_000,
};

const SIZES = ['256x256', '512x512', '1024x1024', '1024x1536', '1536x1024', '1792x1024', '1024x1792'] as const;

/** The model's text, and the files' names for the tool line (`✅ image `diagram.png` — done`). */
function describeFiles(files: ToolUploadedFile[], suffix = ''): ToolOutput {
  return { output: `${describeUploads(files)}${suffix}`, produced: files.map((file) => file.name).join(', ') };
}

function describeUploads(files: ToolUploadedFile[]): string {
  const names = files.map((file) => (file.url ? `${file.name} (${file.url})` : file.name)).join(', ');
  return `Uploaded ${files.length === 1 ? 'image' : `${files.length} images`} to the thread: ${names}. The user can see ${files.length === 1 ? 'it' : 'them'} already; do not paste links or data for ${files.length === 1 ? 'it' : 'them'}.`;
}

function fileNameFor(prompt: string, index: number, mediaType: string): string {
  const stem = prompt.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'image';
  const extension = mediaType === 'image/jpeg' ? 'jpg' : mediaType === 'image/webp' ? 'webp' : 'png';
  return `${stem}${index > 0 ? `-${index + 1}` : ''}.${extension}`;
}

export function imageTool(options: ImageToolOptions): Tool {
  const maxImages = options.maxImages ?? DEFAULTS.maxImages;
  const maxImageBytes = options.maxImageBytes ?? DEFAULTS.maxImageBytes;
  const client = options.client?.apiKey ? new ImageClient(options.client) : undefined;
  return defineTool({
    name: 'image',
    description:
      'Generate an image (a diagram, mock-up, illustration or photo-like picture) from a detailed text description and upload it to this conversation. Describe exactly what to draw, including any text that must appear in it.',
    input: z.object({
      prompt: z.string().min(3).max(4_000).describe('What to draw, in detail'),
      size: z.enum(SIZES).optional().describe('Width x height in pixels; omit for the model default'),
      count: z.number().int().min(1).max(maxImages).optional().describe(`How many variations (1–${maxImages})`),
    }),
    // Off until a channel turns it on: each image costs far more than a chat answer.
    policy: { timeoutMs: DEFAULTS.timeoutMs, enabledByDefault: false },
    async run(input, context) {
      if (!client) throw new Error('image generation is not configured (no OfoxAI API key)');
      if (!context.upload) throw new Error('this chat platform cannot receive files from the bot, so no image was made');
      const upload = context.upload;
      const jobId = context.jobId;
      const earlier = jobId ? await options.ledger?.find(jobId, context.callId, input.prompt) : undefined;
      if (earlier) return describeFiles(earlier);

      const model = context.imageModel ?? options.defaultModel;
      const count = input.count ?? 1;
      // Reserved before the endpoint is called: an image the budget cannot pay for is never made.
      const scope = { platform: context.platform, workspaceId: context.workspaceId, channelId: context.channelId, userId: context.userId };
      const reserved = await options.spending?.reserve({ scope, model, count });
      if (reserved && !reserved.ok) throw new Error(`no image was made: ${reserved.reason}`);
      const hold = reserved?.hold;
      let images;
      try {
        images = await client.generate({ model, prompt: input.prompt, ...(input.size ? { size: input.size } : {}), n: count, signal: context.signal });
      } catch (error) {
        await hold?.release();
        if (isLlmError(error, 'refused')) {
          // A refusal is an answer, not a fault: the model should tell the person and not retry as is.
          return `No image: ${error.message}. Tell the user the request was declined and suggest rephrasing; do not retry the same prompt.`;
        }
        throw error;
      }
      const made = images.slice(0, count);
      // Charged for what was made, uploaded or not, and before the upload: a job retried after the
      // upload finds it in the ledger and neither generates nor charges again.
      await hold?.settle(made.length);
      const kept = made.filter((image) => image.bytes.length <= maxImageBytes);
      if (kept.length === 0) throw new Error(`the generated image was larger than ${Math.round(maxImageBytes / 1024 / 1024)} MiB, so it was not uploaded`);

      const uploaded: ToolUploadedFile[] = [];
      for (const [index, image] of kept.entries()) {
        uploaded.push(await upload({ name: fileNameFor(input.prompt, index, image.mediaType), bytes: image.bytes, mediaType: image.mediaType, title: input.prompt.slice(0, 100) }, context.signal));
      }
      if (jobId) await options.ledger?.record(jobId, context.callId, input.prompt, uploaded);
      return describeFiles(uploaded, ` (model: ${model})`);
    },
  });
}
