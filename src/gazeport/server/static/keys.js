// The player's keyboard map (spec web-player.md §10): Pupil Player's and Neon Player's keys as a
// superset that does not conflict, plus the recording's annotation hotkeys.
//
// The arrows are the one place where the two tools disagree: Pupil Player steps a frame while
// paused and changes the speed while playing; Neon Player v6 jumps ±5 s. The "pupil" preset
// (default) does the former, "neon" the latter; in both, Shift+arrows step one frame (Neon),
// PageUp/PageDown jump 5 s and Shift+. / Shift+, change the speed (Neon, Pupil Cloud).

/** Pupil Player's playback speeds (seek_control.py available_speeds). */
export const SPEEDS = [0.25, 0.5, 1, 1.5, 2, 4];

export const PRESETS = {
  pupil: "Pupil Player: ←/→ step a frame when paused, change the speed when playing",
  neon: "Neon Player: ←/→ jump 5 s, Shift+←/→ step a frame",
};

/** Keys the player uses itself: an annotation hotkey may not take one of them. */
export const RESERVED = new Set([" ", "e", "a", "s", "?", "[", "]", "<", ">", ",", "."]);

/** [keys, what they do] for the help overlay, for the given preset. */
export function helpRows(preset) {
  const arrows =
    preset === "neon"
      ? [["← / →", "Back / forward 5 s"]]
      : [
          ["← / →", "Paused: previous / next frame"],
          ["← / →", "Playing: slower / faster"],
        ];
  return [
    ["Space", "Play / pause (stops at the trim marks)"],
    ...arrows,
    ["Shift+← / Shift+→", "Previous / next frame"],
    ["PageUp / PageDown", "Back / forward 5 s"],
    ["Shift+, / Shift+.", "Slower / faster (0.25× … 4×)"],
    ["a / s", "Previous / next fixation"],
    ["Home / End", "Go to the left / right trim mark"],
    ["[ / ]", "Set the left / right trim mark at this frame"],
    ["\\", "Reset the trim marks to the whole recording"],
    ["e", "Export the trim range with the chosen exporters"],
    ["Wheel / Shift+wheel", "Zoom / pan the timeline (double click: all of it)"],
    ["?", "Show / hide this help"],
    ["Esc", "Close this help"],
  ];
}

const NOT_TYPED = new Set(["checkbox", "radio", "button", "submit", "reset", "range"]);

/** Is the key going into a field (a text box, a select), not to the player? */
function typing(target) {
  if (!(target instanceof Element)) return false;
  if (target instanceof HTMLInputElement) return !NOT_TYPED.has(target.type);
  return Boolean(target.closest("textarea, select, [contenteditable='true']"));
}

/** The annotation label whose hotkey is `key` (exact first, then ignoring case), or null. */
export function labelForKey(definitions, key) {
  if (!key || key.length !== 1) return null;
  let loose = null;
  for (const [label, hotkey] of Object.entries(definitions)) {
    if (hotkey === key) return label;
    if (hotkey && hotkey.toLowerCase() === key.toLowerCase()) loose = loose ?? label;
  }
  return loose;
}

/**
 * Listen to keydown on window and call `actions[name](...)`.
 * `options.preset()` → "pupil" | "neon"; `options.playing()` → bool;
 * `options.definitions()` → {label: hotkey}.
 */
export function bindKeys(actions, options) {
  const handler = (event) => {
    if (event.key === "Escape") {
      actions.escape();
      return;
    }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key;
    const name = chooseAction(event, options);
    if (name) {
      event.preventDefault();
      const [action, arg] = name;
      actions[action](arg);
      return;
    }
    const label = labelForKey(options.definitions(), key);
    if (label !== null && !event.repeat) {
      event.preventDefault();
      actions.annotate(label);
    }
  };
  window.addEventListener("keydown", handler);
  return () => window.removeEventListener("keydown", handler);
}

function chooseAction(event, options) {
  const { key, shiftKey } = event;
  if (key === "ArrowLeft" || key === "ArrowRight") {
    const sign = key === "ArrowRight" ? 1 : -1;
    if (shiftKey) return ["step", sign];
    if (options.preset() === "neon") return ["jump", 5 * sign];
    return options.playing() ? ["speed", sign] : ["step", sign];
  }
  const table = {
    " ": ["toggle"],
    PageUp: ["jump", -5],
    PageDown: ["jump", 5],
    ">": ["speed", 1],
    "<": ["speed", -1],
    s: ["fixation", 1],
    a: ["fixation", -1],
    Home: ["toTrim", "start"],
    End: ["toTrim", "end"],
    "[": ["setTrim", "start"],
    "]": ["setTrim", "end"],
    "\\": ["resetTrim"],
    e: ["export"],
    "?": ["help"],
  };
  if (shiftKey && (key === "." || key === ",")) return ["speed", key === "." ? 1 : -1];
  return table[key] || null;
}
