import type { Scrubber } from './redaction/scrubber.js';

const CLASS_NAME = /^[A-Za-z_$][\w$.]{0,99}$/;

/**
 * `error_class` and the scrubbed `error_message` of a thrown value. Reading a
 * hostile error (a throwing `name` getter, a Proxy) must not throw, and a
 * class name is an identifier or nothing, so it cannot carry data.
 */
export function describeError(error: unknown, scrub: Scrubber): { error_class: string; error_message?: string } {
  let errorClass = 'Error';
  let message: string | undefined;
  try {
    if (error instanceof Error) {
      const name = error.constructor?.name || error.name;
      errorClass = typeof name === 'string' && CLASS_NAME.test(name) ? name : 'Error';
      message = typeof error.message === 'string' ? error.message : undefined;
    } else {
      errorClass = error === null ? 'null' : typeof error;
      message = typeof error === 'string' ? error : undefined;
    }
  } catch {
    errorClass = 'Error';
  }
  let errorMessage: string | undefined;
  try {
    errorMessage = message === undefined || message === '' ? undefined : scrub(message);
  } catch {
    errorMessage = undefined;
  }
  return errorMessage === undefined ? { error_class: errorClass } : { error_class: errorClass, error_message: errorMessage };
}
