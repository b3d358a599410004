/**
 * The small part of OHIF 3.x's public API the extension uses, typed loosely on purpose: we load into
 * a prebuilt viewer and import nothing from @ohif/* (its packages are not installable here).
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- OHIF's services are untyped JavaScript objects */

export interface OhifSubscription {
  unsubscribe: () => void;
}

export interface OhifDisplaySet {
  displaySetInstanceUID: string;
  StudyInstanceUID: string;
  SeriesInstanceUID: string;
  Modality?: string;
  SeriesDescription?: string;
  SeriesNumber?: number | string;
  BodyPartExamined?: string;
  numImageFrames?: number;
  isReconstructable?: boolean;
  instances?: Array<Record<string, any>>;
  instance?: Record<string, any>;
  unsupported?: boolean;
  [key: string]: any;
}

export interface OhifServices {
  displaySetService: any;
  hangingProtocolService: any;
  viewportGridService: any;
  uiNotificationService?: any;
  userAuthenticationService?: any;
  cornerstoneViewportService?: any;
  customizationService?: any;
  [name: string]: any;
}

export interface OhifServicesManager {
  services: OhifServices;
  registerService: (registration: { name: string; create: (args: any) => unknown }) => void;
}

export interface OhifCommandsManager {
  runCommand: (name: string, options?: Record<string, unknown>, context?: string) => unknown;
}

export interface OhifExtensionManager {
  getActiveDataSource: () => any[];
  [key: string]: any;
}

export interface OhifContext {
  servicesManager: OhifServicesManager;
  commandsManager: OhifCommandsManager;
  extensionManager: OhifExtensionManager;
  appConfig?: Record<string, any>;
  configuration?: Record<string, any>;
}
