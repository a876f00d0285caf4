import type { Surface } from '../render/surface.ts';
import { currentJobLease, type JobLease } from './job-lease.ts';
import type { ApprovalSurface, FileUploader, PlatformPorts } from './ports.ts';

/**
 * Platform ports whose every write first checks the job's lease (see `job-lease.ts`): the last
 * line of "never two workers writing the same answer". The lease is the one of the job being
 * processed when the surface is made; outside a job (the failed-for-good notice) nothing is fenced.
 */
export function fencePorts(ports: PlatformPorts): PlatformPorts {
  return {
    platform: ports.platform,
    conversation: ports.conversation,
    surfaceFor: (job) => {
      const surface = ports.surfaceFor(job);
      const lease = currentJobLease();
      return lease ? fenceSurface(surface, lease) : surface;
    },
    ...(ports.approvals ? { approvals: fenceApprovals(ports.approvals) } : {}),
    ...(ports.files ? { files: fenceFiles(ports.files) } : {}),
  };
}

/** An upload is a platform write too: only the lock holder makes it. */
function fenceFiles(files: FileUploader): FileUploader {
  return {
    async upload(job, file, signal) {
      await currentJobLease()?.ensureHeld();
      return files.upload(job, file, signal);
    },
  };
}

export function fenceSurface(surface: Surface, lease: JobLease): Surface {
  const fenced: Surface = {
    get limits() {
      return surface.limits;
    },
    get channelKey() {
      return surface.channelKey;
    },
    async create(text, options) {
      await lease.ensureHeld();
      return surface.create(text, options);
    },
    async edit(ref, text, options) {
      await lease.ensureHeld();
      return surface.edit(ref, text, options);
    },
  };
  // The surface's own write budgets (learned from the platform) must reach the pacer through the fence.
  const budgetsFor = surface.budgetsFor?.bind(surface);
  if (budgetsFor) fenced.budgetsFor = budgetsFor;
  const typing = surface.typing?.bind(surface);
  if (typing) {
    fenced.typing = async () => {
      await lease.ensureHeld();
      return typing();
    };
  }
  return fenced;
}

function fenceApprovals(approvals: ApprovalSurface): ApprovalSurface {
  return {
    async post(job, prompt) {
      await currentJobLease()?.ensureHeld();
      return approvals.post(job, prompt);
    },
    async resolve(ref, prompt, outcome, decidedBy) {
      await currentJobLease()?.ensureHeld();
      return approvals.resolve(ref, prompt, outcome, decidedBy);
    },
  };
}
