// Placeholder so that the stack synthesizes; replaced by the real handler.
export const handler = async (): Promise<void> => {};
