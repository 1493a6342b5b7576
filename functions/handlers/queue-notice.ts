// Placeholder until the workflow step is wired; replaced by the real middy handler.
export const handler = async (event: unknown): Promise<unknown> => event;
