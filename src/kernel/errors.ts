/** Where in a user's file something was written. */
export interface SourceLoc {
  file: string;
  line?: number;
  col?: number;
  key?: string;
}

/** Bad user input: exit 2, one clear line naming file, line, column and key. */
export class InputError extends Error {
  readonly loc: SourceLoc | undefined;
  constructor(message: string, loc?: SourceLoc) {
    super(message);
    this.name = 'InputError';
    this.loc = loc;
  }
}

/** Several input errors at once (validate and ci report every one); the first is the message. */
export class InputErrors extends InputError {
  readonly errors: readonly InputError[];
  constructor(errors: readonly InputError[]) {
    const first = errors[0] ?? new InputError('invalid input');
    super(first.message, first.loc);
    this.errors = errors.flatMap((e) => (e instanceof InputErrors ? e.errors : [e]));
  }
}

/** The errors an InputError stands for. */
export function inputErrors(e: InputError): readonly InputError[] {
  return e instanceof InputErrors ? e.errors : [e];
}

/** Runs one check; its InputErrors join the list. */
export function attempt<T>(errors: InputError[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    errors.push(...inputErrors(e));
    return undefined;
  }
}

/** A bug in pp-sim itself: exit 3. */
export class InternalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}

/** Renders "file:line:col: key: message" with the parts that are known. */
export function formatInputError(e: InputError): string {
  const l = e.loc;
  if (!l) return e.message;
  let where = l.file;
  if (l.line !== undefined) where += `:${l.line}`;
  if (l.line !== undefined && l.col !== undefined) where += `:${l.col}`;
  return l.key ? `${where}: ${l.key}: ${e.message}` : `${where}: ${e.message}`;
}
