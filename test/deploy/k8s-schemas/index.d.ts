import type { ValidateFunc } from '@kubernetes-models/validate';
export declare const validators: Record<string, ValidateFunc<unknown>>;
