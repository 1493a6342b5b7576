/** The error a call was refused with, checked to be of the SDK's service error class (a pass or another error fails). */
export async function rejectionOf<E extends Error>(promise: Promise<unknown>, errorClass: abstract new (...args: never[]) => E): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof errorClass)) throw new Error(`expected a ${errorClass.name}, got ${String(error)}`);
  return error;
}
