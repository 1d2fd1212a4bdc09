// The widget's styles (widget.css), adopted by each shadow root as one constructed stylesheet (a strict
// Content-Security-Policy with no 'unsafe-inline' allows it). Pixel sizes, not rem: the host
// page's root font size must not reach in. Theme it from the host page with these properties:
//   --feedback-accent (stars, buttons), --feedback-text, --feedback-muted, --feedback-background,
//   --feedback-border, --feedback-font, --feedback-radius
import CSS from "./widget.css";


let shared;
export function sheet() {
  if (!shared) {
    shared = new CSSStyleSheet();
    shared.replaceSync(CSS);
  }
  return shared;
}
