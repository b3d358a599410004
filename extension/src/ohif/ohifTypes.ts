/**
 * The part of OHIF 3.x's API the extension calls, typed as precisely as we use it. We load into a
 * prebuilt viewer and import nothing from @ohif/* (its packages are not installable here), so these
 * are our own minimal interfaces of OHIF's managers and services.
 */

export interface OhifSubscription {
  unsubscribe: () => void;
}

/**
 * OHIF's publish/subscribe services: event names in `EVENTS`, callbacks with an event payload (whose
 * shape OHIF does not declare: the subscriber names what it reads).
 */
export interface OhifPubSub {
  readonly EVENTS: Readonly<Record<string, string>>;
  subscribe<Payload = unknown>(eventName: string, callback: (payload: Payload) => void): OhifSubscription;
}

/** A naturalized DICOM instance of OHIF's metadata store (only the attributes we read are named). */
export interface OhifInstance {
  SOPInstanceUID?: string;
  SOPClassUID?: string;
  BodyPartExamined?: string;
  [attribute: string]: unknown;
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
  imageIds?: string[];
  instances?: OhifInstance[];
  instance?: OhifInstance;
  unsupported?: boolean;
}

export interface OhifDisplaySetService extends OhifPubSub {
  getActiveDisplaySets(): OhifDisplaySet[];
  getDisplaySetByUID(displaySetInstanceUID: string): OhifDisplaySet | undefined;
}

export interface OhifHangingProtocolService extends OhifPubSub {
  addProtocol(protocolId: string, protocol: object): void;
  getActiveProtocol(): { protocol?: { id: string } } | undefined;
  getState(): { activeStudyUID?: string };
  addCustomAttribute(attributeId: string, attributeName: string, callback: (displaySet: OhifDisplaySet) => unknown): void;
}

export interface OhifGridViewport {
  viewportId: string;
  displaySetInstanceUIDs?: string[];
}

export interface OhifViewportGridService extends OhifPubSub {
  /** isHangingProtocolLayout: the grid was laid out by a hanging protocol, not by the user. */
  getState(): { viewports: Map<string, OhifGridViewport>; activeViewportId: string; isHangingProtocolLayout?: boolean };
  getActiveViewportId(): string;
  getDisplaySetsUIDsForViewport(viewportId: string): string[] | undefined;
  setDisplaySetsForViewport(update: {
    viewportId: string;
    displaySetInstanceUIDs: string[];
    viewportOptions?: { initialImageOptions?: { index: number } };
  }): void;
}

/** A cornerstone3D viewport; the stack calls are absent on volume viewports. */
export interface CornerstoneViewport {
  getImageIds?(): string[];
  getCurrentImageIdIndex?(): number;
  getCurrentImageId?(): string | undefined;
  setImageIdIndex?(index: number): unknown;
}

/** Publishes VIEWPORT_DATA_CHANGED when a viewport shows new data. */
export interface OhifCornerstoneViewportService extends OhifPubSub {
  getCornerstoneViewport(viewportId: string): CornerstoneViewport | null | undefined;
}

export interface OhifUINotificationService {
  show(notification: { title: string; message: string; type?: 'info' | 'success' | 'warning' | 'error'; duration?: number }): void;
}

export interface OhifUserAuthenticationService {
  getAuthorizationHeader(): Record<string, unknown> | undefined;
}

export interface OhifCustomizationService {
  setCustomizations(customizations: Record<string, unknown>): void;
  getCustomization(customizationId: string): unknown;
}

export interface OhifServices {
  displaySetService: OhifDisplaySetService;
  hangingProtocolService: OhifHangingProtocolService;
  viewportGridService: OhifViewportGridService;
  /** Always there in the modes we run in (they need @ohif/extension-cornerstone). */
  cornerstoneViewportService: OhifCornerstoneViewportService;
  uiNotificationService?: OhifUINotificationService;
  userAuthenticationService?: OhifUserAuthenticationService;
  customizationService?: OhifCustomizationService;
  /** Services of other extensions, ours included (read through their own types). */
  [serviceName: string]: unknown;
}

/** What the services manager passes to a registration's `create`. */
export interface OhifServiceCreateArgs<Configuration> {
  configuration?: Configuration;
  servicesManager: OhifServicesManager;
  commandsManager: OhifCommandsManager;
  extensionManager: OhifExtensionManager;
}

export interface OhifServiceRegistration<Service, Configuration> {
  name: string;
  altName?: string;
  create(args: OhifServiceCreateArgs<Configuration>): Service;
}

export interface OhifServicesManager {
  services: OhifServices;
  registerService<Service, Configuration>(
    registration: OhifServiceRegistration<Service, Configuration>,
    configuration?: Configuration,
  ): void;
}

export interface OhifCommandsManager {
  runCommand(commandName: string, options?: Record<string, unknown>, contextName?: string): unknown;
}

export interface OhifDataSource {
  getConfig?(): { wadoRoot?: string; qidoRoot?: string };
  getImageIdsForDisplaySet?(displaySet: OhifDisplaySet): string[];
}

export interface OhifExtensionManager {
  getActiveDataSource(): OhifDataSource[];
  getModuleEntry(moduleId: string): unknown;
}

/** The viewer's managers: what a service or session works with. */
export interface OhifHost {
  servicesManager: OhifServicesManager;
  commandsManager: OhifCommandsManager;
  extensionManager: OhifExtensionManager;
}

/** What OHIF passes to an extension's preRegistration and module getters. */
export interface OhifContext extends OhifHost {
  appConfig?: Record<string, unknown>;
  configuration?: Record<string, unknown>;
}
