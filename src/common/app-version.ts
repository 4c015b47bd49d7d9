/** The release, as package.json says; sent in callbacks' user-agent and the OpenAPI document. */
export const APP_VERSION = '0.1.0';
