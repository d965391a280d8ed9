/**
 * A network panel for any game (`attachInspector`): plain DOM and canvas. An entry of its own, so a game that does not import it (or imports it lazily, in development) ships none of it.
 *
 * @packageDocumentation
 */
// `bitecs-multiuser/inspector`: a network panel for any game (plain DOM and canvas). An entry of its own, so a game
// that does not import it (or imports it lazily, in development) ships none of it.
export { attachInspector, type Inspector, type InspectorOptions } from './inspector.js'
