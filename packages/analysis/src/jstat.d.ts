// jstat ships no types (and there is no @types/jstat): only what this package uses.
declare module 'jstat' {
  interface Normal {
    cdf(x: number, mean: number, std: number): number
    inv(p: number, mean: number, std: number): number
  }
  const jStat: { normal: Normal }
  export default jStat
}
