/** The URL of the pay page's script (see vite-plugin-islands.ts). */
declare module 'virtual:pay-island' {
  const src: string;
  export default src;
}

/** The URL of the add-card page's script (see vite-plugin-islands.ts). */
declare module 'virtual:card-island' {
  const src: string;
  export default src;
}
