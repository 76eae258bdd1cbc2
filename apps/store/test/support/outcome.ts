/** What a call that should fail said: its error's message, or 'no error' when it succeeded. */
export function errorMessage(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'no error',
    (error: Error) => error.message,
  );
}
