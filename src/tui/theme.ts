// Colour for the screens. Ink's chalk does not read NO_COLOR, so the screens decide themselves: with
// colour off no component passes any colour or style, and the output has no escape codes.
import { createContext, useContext } from 'react';

export function colorFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

export const ColorContext = createContext<boolean>(colorFromEnv());

export interface Theme {
  on: boolean;
  /** Text props for a colour (nothing when colour is off) */
  c: (color: string) => { color?: string };
  dim: () => { dimColor?: boolean };
  bold: () => { bold?: boolean };
  border: (focused: boolean) => { borderColor?: string; borderStyle: 'round' | 'single' };
}

export function useTheme(): Theme {
  const on = useContext(ColorContext);
  return {
    on,
    c: (color) => (on ? { color } : {}),
    dim: () => (on ? { dimColor: true } : {}),
    bold: () => (on ? { bold: true } : {}),
    border: (focused) => (on ? { borderStyle: 'round', borderColor: focused ? 'cyan' : 'gray' } : { borderStyle: focused ? 'round' : 'single' }),
  };
}
