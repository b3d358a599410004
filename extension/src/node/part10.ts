/** The Part-10 writer lives in the engine (the SR encoder needs it in the browser too). */
export { writePart10, EXPLICIT_VR_LITTLE_ENDIAN } from '../engine/report/writePart10';
