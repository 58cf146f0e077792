// The result every reading engine returns is a domain notion (controls and workflows use it): it lives in domain/.
export * from '../domain/reading';
