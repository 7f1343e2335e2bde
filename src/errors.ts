// Typed errors: every error podrun throws carries a machine-readable code, and where it
// applies the field path, or the errno/syscall/path of the kernel call that failed.

export type ErrorCode =
  | 'Invalid' // a manifest or argument failed validation (field path set)
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'System' // a kernel call failed (errno, syscall, path set)
  | 'Unsupported' // the machine lacks a feature
  | 'Timeout'
  | 'Expired' // a watch asked to resume from a resourceVersion no longer kept (HTTP 410)
  | 'Internal';

export class PodrunError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  constructor(code: ErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'PodrunError';
    this.code = code;
    this.hint = hint;
  }
}

/** One invalid field, reported the way the API server does: `spec.containers[1].image: Required value`. */
export class ValidationError extends PodrunError {
  readonly field: string;
  readonly detail: string;
  /** The object it is about, when known: the message then reads `Pod "web" is invalid: ...`. */
  readonly object?: { kind: string; name: string };
  constructor(field: string, detail: string, object?: { kind: string; name: string }) {
    const text = field ? `${field}: ${detail}` : detail;
    super('Invalid', object ? `${object.kind} "${object.name}" is invalid: ${text}` : text);
    this.name = 'ValidationError';
    this.field = field;
    this.detail = detail;
    if (object) this.object = object;
  }

  /** The same error, naming the object it is about (once). */
  about(kind: string, name: string): ValidationError {
    return this.object ? this : new ValidationError(this.field, this.detail, { kind, name });
  }
}

export class NotFoundError extends PodrunError {
  constructor(kind: string, name: string) {
    super('NotFound', `${kind} "${name}" not found`);
    this.name = 'NotFoundError';
  }
}

export class AlreadyExistsError extends PodrunError {
  constructor(kind: string, name: string) {
    super('AlreadyExists', `${kind} "${name}" already exists`);
    this.name = 'AlreadyExistsError';
  }
}

/** A failed system call, in crun's shape: `open \`/proc/1/ns/net\`: EACCES`. */
export class SystemError extends PodrunError {
  readonly errno: number;
  readonly syscall: string;
  readonly path?: string;
  constructor(syscall: string, errno: number, errname: string, path?: string, hint?: string) {
    super('System', `${syscall}${path ? ` \`${path}\`` : ''}: ${errname}`, hint);
    this.name = 'SystemError';
    this.errno = errno;
    this.syscall = syscall;
    this.path = path;
  }
}

/**
 * Some objects of an apply failed (the others were applied): the message is the first
 * failure's, and `results` has every object's outcome (ApplyResult, `error` on the failed).
 */
export class ApplyError extends PodrunError {
  constructor(readonly results: import('./types').ApplyResult[]) {
    const failed = results.filter((r) => r.error);
    const first = failed[0]!.error!;
    super(first.code, failed.length === 1 ? first.message : `${first.message} (and ${failed.length - 1} more failed)`, first.hint);
    this.name = 'ApplyError';
  }

  /** The failures, each a typed error naming its object. */
  get errors(): PodrunError[] {
    return this.results.flatMap((r) => (r.error ? [r.error] : []));
  }
}
