// SPDX-License-Identifier: MIT
pragma Singleton
import QtQuick
import Atelier.Studio

// Colours, type scale and spacing for both themes. Follows the desktop
// unless the user picked dark or light in Settings.
QtObject {
    readonly property bool dark: StudioState.dark

    // Surfaces
    readonly property color window: dark ? "#17181b" : "#f4f4f6"
    readonly property color surface: dark ? "#1f2024" : "#ffffff"
    readonly property color surfaceAlt: dark ? "#26282d" : "#f0f1f4"
    readonly property color surfaceHover: dark ? "#2d3036" : "#e8eaee"
    readonly property color rail: dark ? "#111214" : "#e9eaee"
    readonly property color border: dark ? "#33363d" : "#dcdee4"
    readonly property color divider: dark ? "#2a2c31" : "#e6e7eb"

    // Text
    readonly property color text: dark ? "#ecedf0" : "#1b1c20"
    readonly property color textMuted: dark ? "#a3a7b0" : "#5d616b"
    readonly property color textFaint: dark ? "#767a84" : "#8a8e97"
    readonly property color textOnAccent: "#ffffff"

    // Accent and states
    readonly property color accent: dark ? "#7c8cff" : "#4f5bd5"
    readonly property color accentHover: dark ? "#909dff" : "#4350c4"
    readonly property color accentSoft: dark ? "#2b2f52" : "#e6e8fb"
    readonly property color focus: dark ? "#9aa6ff" : "#3a46c0"
    readonly property color success: dark ? "#4cc38a" : "#1f8a55"
    readonly property color warning: dark ? "#e5b454" : "#a86b00"
    readonly property color danger: dark ? "#f06a6a" : "#c93434"
    readonly property color dangerSoft: dark ? "#3d2224" : "#fbe9e9"
    readonly property color selection: dark ? "#33397a" : "#dfe2ff"

    // Type scale (pixel sizes are device independent; Qt scales for DPI)
    readonly property string fontFamily: "DejaVu Sans"
    readonly property int fontSmall: 11
    readonly property int fontBody: 13
    readonly property int fontLarge: 15
    readonly property int fontTitle: 20
    readonly property int fontDisplay: 26

    // Spacing and shape
    readonly property int s1: 4
    readonly property int s2: 8
    readonly property int s3: 12
    readonly property int s4: 16
    readonly property int s5: 24
    readonly property int s6: 32
    readonly property int radius: 6
    readonly property int radiusLarge: 10
    readonly property int railWidth: 76
    readonly property int controlHeight: 32
}
