import { DomainError } from '../common/domain-error';

/** The callback routes' errors, built once: the code and the /docs examples call the same functions. */
export const callbackUrlInvalid = (detail: string) => new DomainError('CALLBACK_URL_INVALID', detail);

/** The resolver did not answer in time: nothing was decided about the URL, so try again (503). */
export const callbackHostTimeout = (host: string, ms: number) => new DomainError('CALLBACK_HOST_TIMEOUT', `host ${host} did not resolve within ${ms} ms; try again later`);

export const callbackNotSet = () => new DomainError('CALLBACK_NOT_SET', 'Callback belum diatur: PUT /callback {"url": "https://..."}');

export const deliveryNotFound = (id: number) => new DomainError('DELIVERY_NOT_FOUND', `Delivery ${id} tidak ditemukan`);

export const deliveryInProgress = (id: number) => new DomainError('DELIVERY_IN_PROGRESS', `Delivery ${id} sedang dikirim; coba lagi sebentar`);
