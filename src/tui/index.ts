// The Ink screens (docs/screens.md): they only render the typed role events.
export { MineScreen, type ScreenProps } from './MineScreen.js';
export { ValidateScreen } from './ValidateScreen.js';
export { EventBus, staticSource, useEventStore, type EventSource } from './store.js';
export { fold, initialView, reduce, sortedLeaderboard, type View } from './state.js';
export type { HeaderInfo } from './components/Header.js';
export { WalletScreen, type WalletScreenProps } from './WalletScreen.js';
export { HomeScreen, type HomeScreenProps } from './HomeScreen.js';
export { parseNvidiaSmi, nvidiaSmiProbe, type GpuReading } from './gpu.js';
