/// A key as the terminal reports it.
enum Key: Hashable, Sendable {
    case char(Character)
    case up, down, left, right, pageUp, pageDown, home, end, tab, escape, enter, backspace
    case interrupt   // Ctrl-C in raw mode
}

/// What the mouse did, in screen cells.
enum MouseEvent: Hashable, Sendable {
    case wheelUp, wheelDown
    case click(row: Int, col: Int)
}

/// The viewer's keys (docs/ARCHITECTURE.md, Viewer), also listed in the `?` overlay.
enum KeyMap {
    /// The action of a key in the state's mode: typing into the note prompt, moving in the
    /// review list, or the viewer's keys.
    static func action(for key: Key, in state: ViewState) -> Action? {
        if state.prompt != nil {
            switch key {
            case .enter: return .promptSubmit
            case .escape, .interrupt: return .promptCancel
            case .backspace: return .promptBackspace
            case .char(let c): return .promptInput(c)
            default: return nil
            }
        }
        if state.reviewList != nil {
            switch key {
            case .char("j"), .down: return .reviewListMove(1)
            case .char("k"), .up: return .reviewListMove(-1)
            case .pageDown: return .reviewListMove(10)
            case .pageUp: return .reviewListMove(-10)
            case .enter: return .reviewListJump
            case .escape, .char("F"), .char("q"): return .toggleReviewList
            case .interrupt: return .quit
            default: return nil
            }
        }
        return action(for: key)
    }

    static func action(for key: Key) -> Action? {
        switch key {
        case .char("j"): .nextSlice
        case .char("k"): .previousSlice
        case .pageDown: .pageDown
        case .pageUp: .pageUp
        case .char("g"), .home: .firstSlice
        case .char("G"), .end: .lastSlice
        case .up: .pan(dy: -1, dx: 0)
        case .down: .pan(dy: 1, dx: 0)
        case .left: .pan(dy: 0, dx: -1)
        case .right: .pan(dy: 0, dx: 1)
        case .char("+"), .char("="): .zoomIn
        case .char("-"), .char("_"): .zoomOut
        case .char("0"): .zoomFit
        case .tab: .cyclePair
        case .char(let c) where ("1"..."9").contains(c): .toggleClass(Int(String(c))!)
        case .char("o"): .cyclePlane
        case .char("O"): .toggleThreePlanes
        case .char("t"): .cycleAlpha
        case .char("d"): .toggleDisagreementMap
        case .char("m"): .cycleMetricsTab
        case .char("v"): .toggleMetricsScope
        case .char("n"): .nextDisagreement
        case .char("N"): .previousDisagreement
        case .char("i"): .runInference(.visibleRegion)
        case .char("I"): .runInference(.wholeVolume)
        case .char("c"): .cancelJob
        case .char("e"): .exportView
        case .char("r"): .toggleRegionMode
        case .char("a"): .decide(.a)
        case .char("b"): .decide(.b)
        case .char("E"): .decide(.ensemble)
        case .char("x"): .decide(.neither)
        case .char("u"): .undoDecision
        case .char("f"): .startFlag
        case .char("F"): .toggleReviewList
        case .char("?"), .char("h"): .toggleHelp
        case .escape: .toggleHelp
        case .char("q"), .char("Q"), .interrupt: .quit
        default: nil
        }
    }

    static func action(for mouse: MouseEvent) -> Action {
        switch mouse {
        case .wheelUp: .scroll(-1)
        case .wheelDown: .scroll(1)
        case .click(let row, let col): .click(row: row, col: col)
        }
    }

    /// The `?` overlay: key, what it does.
    static let help: [(String, String)] = [
        ("j k  PgDn PgUp", "plane ±1 / ±10 along its normal (wheel too)"),
        ("g / G", "first / last plane"),
        ("o  O", "xy → xz → yz planes; three planes of A"),
        ("arrows  + - 0", "pan; zoom in / out, fit"),
        ("click", "move the cursor (readout in the header)"),
        ("Tab", "cycle the compared pair (A, B)"),
        ("1–9", "hide / show a class"),
        ("t  d", "overlay opacity; disagreement map of A and B"),
        ("n / N", "next / previous slice by disagreement"),
        ("r", "review: n/N walk the disagreement regions instead"),
        ("a b E  x", "take A's / B's / ensemble's labels; x: an expert's"),
        ("u  f  F", "undo; flag with a note; list review items"),
        ("m  v", "metrics tab; this slice / whole volume"),
        ("i / I", "ensemble on the visible region / volume"),
        ("c  e", "cancel the running job; export a PNG figure"),
        ("? / Esc  q", "this help; quit"),
    ]
}
