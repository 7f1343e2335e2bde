// gRPC status codes for podrun's errors, as the kubelet reads them: NotFound for an unknown id
// or image, AlreadyExists for a name in use, InvalidArgument for a request podrun cannot honour
// (naming the field), FailedPrecondition for a state that forbids the call.
import { Metadata, status, type ServiceError, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { PodrunError, type ErrorCode } from '../errors';

const CODES: Record<ErrorCode, status> = {
  Invalid: status.INVALID_ARGUMENT,
  NotFound: status.NOT_FOUND,
  AlreadyExists: status.ALREADY_EXISTS,
  Conflict: status.FAILED_PRECONDITION,
  System: status.INTERNAL,
  Unsupported: status.UNIMPLEMENTED,
  Timeout: status.DEADLINE_EXCEEDED,
  Expired: status.ABORTED,
  Internal: status.INTERNAL,
};

/** An error with the gRPC code it is answered with. */
export class CriError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'CriError';
  }
}

/** A field of the request podrun cannot use: InvalidArgument, naming it. */
export function invalidField(field: string, why: string): CriError {
  return new CriError(status.INVALID_ARGUMENT, `${field}: ${why}`);
}

export function toServiceError(e: unknown): ServiceError {
  const code = e instanceof CriError ? e.code : e instanceof PodrunError ? CODES[e.code] : status.UNKNOWN;
  const message = e instanceof Error ? e.message : String(e);
  return Object.assign(new Error(message), { code, details: message, metadata: new Metadata() });
}

/** A unary handler from an async function: its result, or its error as a status. */
export function unary<Req, Res>(fn: (req: Req) => Promise<Res> | Res): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (e: unknown) => callback(toServiceError(e)),
      );
  };
}
