/**
 * Sandbox destination numbers with fixed outcomes, so client developers can test every path.
 * Any other number succeeds with probability PPOB_SIM_SUCCESS_RATE.
 */
export const SANDBOX_NUMBERS = {
  /** Always sukses. */
  SUKSES: '087800000001',
  /** Always gagal (the saldo is refunded). */
  GAGAL: '087800000002',
  /** The upstream is unreachable every time: retried until PROCESSOR_MAX_ATTEMPTS, then gagal with refund. */
  UPSTREAM_ERROR: '087800000003',
} as const;
