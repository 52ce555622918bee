// Typed errors. Every message names the op, the shapes involved and what was expected,
// so a user can fix the call without reading webgrad's source.

/** A tensor shape: one non-negative integer per dimension (`[]` is a scalar). */
export type Shape = readonly number[];

/** Format a shape as `[2, 3]` (used in every shape error message). */
export const fmtShape = (s: Shape): string => `[${s.join(', ')}]`;

/**
 * The base class of every error webgrad throws. Each subclass sets `name` to a string literal
 * (not `new.target.name`, which minifiers rename: a production bundle reported `"K"`), so
 * `e.name` and `String(e)` read the same in every build.
 */
export class WebgradError extends Error {
  override name = 'WebgradError';
}

/** Shapes do not fit the op (matmul inner dims, broadcasting, reshape sizes, gradient shapes). */
export class ShapeError extends WebgradError {
  override name = 'ShapeError';
  constructor(
    readonly op: string,
    readonly shapes: Shape[],
    detail: string,
  ) {
    super(`${op}: ${detail} (got ${shapes.map(fmtShape).join(' and ')})`);
  }
}

/** A tensor has the wrong dtype for the op (e.g. f32 labels where i32 class indices were expected). */
export class DTypeError extends WebgradError {
  override name = 'DTypeError';
  constructor(readonly op: string, detail: string) {
    super(`${op}: ${detail}`);
  }
}

/** An argument is invalid for a reason other than shape or dtype (axis out of range, NaN label, ...). */
export class ValueError extends WebgradError {
  override name = 'ValueError';
  constructor(readonly op: string, detail: string) {
    super(`${op}: ${detail}`);
  }
}

/**
 * An argument or option has the wrong type (a string where a number was expected, ...).
 * A ValueError, so `catch (e) { if (e instanceof ValueError) ... }` sees every bad argument.
 */
export class ArgumentTypeError extends ValueError {
  override name = 'ArgumentTypeError';
}

/** webgrad was used before `await init()` acquired a device. */
export class NotInitializedError extends WebgradError {
  override name = 'NotInitializedError';
}

/** The tensor's GPU memory was already released by dispose(), tidy() or backward(). */
export class DisposedTensorError extends WebgradError {
  override name = 'DisposedTensorError';
  constructor(readonly op: string, what: string) {
    super(`${op}: used a tensor that is already disposed (${what}). Keep it alive by returning it from tidy() or calling keep().`);
  }
}

/** No WebGPU adapter or device could be acquired. The message says what to install or which flag to pass. */
export class WebGPUUnavailableError extends WebgradError {
  override name = 'WebGPUUnavailableError';
}

/** A WGSL shader failed to compile; the message carries the compiler's line:column messages. */
export class ShaderCompileError extends WebgradError {
  override name = 'ShaderCompileError';
  constructor(
    readonly shader: string,
    readonly messages: string[],
  ) {
    super(`shader '${shader}' failed to compile:\n${messages.join('\n')}`);
  }
}

/** The GPU device was lost (driver reset, destroy(), ...). Call init() again to get a new device. */
export class DeviceLostError extends WebgradError {
  override name = 'DeviceLostError';
  constructor(readonly reason: string, detail: string) {
    super(`WebGPU device lost (${reason}): ${detail}. Call init() to acquire a new device.`);
  }
}

/** A GPU validation or out-of-memory error captured while running an op. */
export class GPUExecutionError extends WebgradError {
  override name = 'GPUExecutionError';
}

/** backward() was called on a graph whose saved tensors were already freed, or without a gradient. */
export class AutogradError extends WebgradError {
  override name = 'AutogradError';
}

/** A tensor or dispatch exceeds a device limit (buffer binding size, workgroups per dimension). */
export class LimitError extends WebgradError {
  override name = 'LimitError';
  constructor(readonly op: string, detail: string) {
    super(`${op}: ${detail}`);
  }
}

/** GPU memory could not be allocated (or the configured memory budget is exhausted). */
export class OutOfMemoryError extends WebgradError {
  override name = 'OutOfMemoryError';
  constructor(readonly requestedBytes: number, detail: string) {
    super(`out of GPU memory: could not allocate ${requestedBytes} bytes; ${detail}`);
  }
}

/** checkNumerics found NaN or Inf; the message names the first op that produced one. */
export class NumericsError extends WebgradError {
  override name = 'NumericsError';
  constructor(readonly op: string, detail: string) {
    super(`checkNumerics: ${detail}`);
  }
}
