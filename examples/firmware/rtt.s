@ RTT test firmware for stm32-opts: ARMv7-M integer Thumb code with a SEGGER RTT control block,
@ so the debug server's RTT support can be tested on the simulated chip.
@
@ The control block `_SEGGER_RTT` (in RAM, ID "SEGGER RTT") has one up channel, "Terminal"
@ (a 2048-byte ring buffer), and one down channel, "Terminal" (64 bytes). After reset the program
@ fills in the channel descriptors and writes the ID last, so a debugger never finds a
@ half-written block. Then it loops forever:
@   - writes the line "line XXXXXXXX\n" (the line number, 8 hex digits) into the up channel,
@   - calls `line_done` (it stores the number of the line just written in `lines`; tests break
@     on it),
@   - copies every byte waiting in the down channel into the up channel (an echo, between two
@     lines) and counts them in `echoed`.
@ The up channel is in the blocking mode (flags = 2, "block if full"): when the ring buffer is
@ full the program waits for the host to move the read offset, so no byte is ever dropped.
@ Rebuild with `examples/firmware/build.sh`.

    .syntax unified
    .cpu cortex-m7
    .thumb

    .equ UP_SIZE, 2048
    .equ DOWN_SIZE, 64
    .equ MODE_BLOCK_IF_FULL, 2

    @ Control block: ID[16], MaxNumUpBuffers, MaxNumDownBuffers, then the descriptors.
    .equ CB_MAX_UP, 16
    .equ CB_MAX_DOWN, 20
    .equ CB_UP0, 24
    .equ CB_DOWN0, 48
    .equ CB_SIZE, 72
    @ Channel descriptor: sName, pBuffer, SizeOfBuffer, WrOff, RdOff, Flags.
    .equ CH_NAME, 0
    .equ CH_BUFFER, 4
    .equ CH_SIZE, 8
    .equ CH_WR, 12
    .equ CH_RD, 16
    .equ CH_FLAGS, 20

    @ "SEGGER RTT" as little-endian words.
    .equ ID_WORD0, 0x47474553  @ "SEGG"
    .equ ID_WORD1, 0x52205245  @ "ER R"
    .equ ID_WORD2, 0x00005454  @ "TT\0\0"

    .section .vectors, "a", %progbits
    .global vector_table
vector_table:
    .word _stack_top
    .word reset_handler
    .rept 14
    .word default_handler
    .endr

    .text
    .thumb_func
    .global reset_handler
    .type reset_handler, %function
reset_handler:
    @ The stack as after a reset, also when a debugger starts here without one (`load`, `jump`).
    ldr r0, =_stack_top
    mov sp, r0
    bl rtt_init
    ldr r0, =echoed
    movs r1, #0
    str r1, [r0]
    bl main
    b reset_handler

@ Clears the control block, fills in both descriptors, then writes the ID (first word last).
    .thumb_func
    .global rtt_init
    .type rtt_init, %function
rtt_init:
    ldr r0, =_SEGGER_RTT
    movs r1, #0
    movs r2, #0
clear_block:
    str r1, [r0, r2]
    adds r2, r2, #4
    cmp r2, #CB_SIZE
    blo clear_block
    movs r1, #1
    str r1, [r0, #CB_MAX_UP]
    str r1, [r0, #CB_MAX_DOWN]
    ldr r1, =channel_name
    str r1, [r0, #CB_UP0 + CH_NAME]
    str r1, [r0, #CB_DOWN0 + CH_NAME]
    ldr r1, =up_buffer
    str r1, [r0, #CB_UP0 + CH_BUFFER]
    ldr r1, =UP_SIZE
    str r1, [r0, #CB_UP0 + CH_SIZE]
    movs r1, #MODE_BLOCK_IF_FULL
    str r1, [r0, #CB_UP0 + CH_FLAGS]
    ldr r1, =down_buffer
    str r1, [r0, #CB_DOWN0 + CH_BUFFER]
    movs r1, #DOWN_SIZE
    str r1, [r0, #CB_DOWN0 + CH_SIZE]
    ldr r1, =ID_WORD2
    str r1, [r0, #8]
    ldr r1, =ID_WORD1
    str r1, [r0, #4]
    dmb
    ldr r1, =ID_WORD0
    str r1, [r0]
    bx lr

    .thumb_func
    .global main
    .type main, %function
main:
    movs r4, #0
main_loop:
    bl put_line
    bl line_done
    bl echo_down
    adds r4, r4, #1
    b main_loop

@ Called after each line with its number in r4.
    .thumb_func
    .global line_done
    .type line_done, %function
line_done:
    ldr r0, =lines
    str r4, [r0]
    bx lr

@ Writes "line XXXXXXXX\n" for the number in r4.
    .thumb_func
    .global put_line
    .type put_line, %function
put_line:
    push {r5, r6, lr}
    ldr r5, =line_prefix
prefix_byte:
    ldrb r0, [r5], #1
    cbz r0, hex_digits
    bl put_byte
    b prefix_byte
hex_digits:
    movs r6, #28
hex_digit:
    lsr r0, r4, r6
    and r0, r0, #0xF
    cmp r0, #10
    blo decimal_digit
    adds r0, r0, #('a' - 10)
    b digit_ready
decimal_digit:
    adds r0, r0, #'0'
digit_ready:
    bl put_byte
    subs r6, r6, #4
    bpl hex_digit
    movs r0, #'\n'
    bl put_byte
    pop {r5, r6, pc}

@ Appends the byte in r0 to the up channel; waits while the ring buffer is full (one slot stays
@ free: WrOff + 1 == RdOff means full). Clobbers r1-r3, r12.
    .thumb_func
    .global put_byte
    .type put_byte, %function
put_byte:
    ldr r1, =_SEGGER_RTT + CB_UP0
wait_for_room:
    ldr r2, [r1, #CH_WR]
    adds r3, r2, #1
    cmp r3, #UP_SIZE
    bne no_wrap
    movs r3, #0
no_wrap:
    ldr r12, [r1, #CH_RD]
    cmp r3, r12
    beq wait_for_room
    ldr r12, =up_buffer
    strb r0, [r12, r2]
    dmb
    str r3, [r1, #CH_WR]
    bx lr

@ Moves every byte waiting in the down channel into the up channel.
    .thumb_func
    .global echo_down
    .type echo_down, %function
echo_down:
    push {r5, lr}
    ldr r5, =_SEGGER_RTT + CB_DOWN0
next_down_byte:
    ldr r2, [r5, #CH_RD]
    ldr r3, [r5, #CH_WR]
    cmp r2, r3
    beq down_empty
    ldr r1, =down_buffer
    ldrb r0, [r1, r2]
    adds r2, r2, #1
    cmp r2, #DOWN_SIZE
    bne down_no_wrap
    movs r2, #0
down_no_wrap:
    str r2, [r5, #CH_RD]
    ldr r1, =echoed
    ldr r2, [r1]
    adds r2, r2, #1
    str r2, [r1]
    bl put_byte
    b next_down_byte
down_empty:
    pop {r5, pc}

    .thumb_func
    .global default_handler
    .type default_handler, %function
default_handler:
    b default_handler

    .ltorg

channel_name:
    .asciz "Terminal"
line_prefix:
    .asciz "line "
    .align 2

    .bss
    .align 2
    .global _SEGGER_RTT
    .type _SEGGER_RTT, %object
_SEGGER_RTT:
    .space CB_SIZE
    .global lines
    .type lines, %object
lines:
    .word 0
    .global echoed
    .type echoed, %object
echoed:
    .word 0
up_buffer:
    .space UP_SIZE
down_buffer:
    .space DOWN_SIZE
