@ Semihosting print-loop firmware for stm32-opts: ARMv7-M integer Thumb code that prints the same
@ 16 KiB of text through SYS_WRITE to ":tt" over and over, counting the calls in the RAM word
@ `prints`, and never ends. It keeps the debugger's console output busy: the tests use it to show
@ that a GDB client that stops reading, or a server's standard output that nobody drains, stalls
@ no other client. The text is built in RAM at start, so the program stays small in flash.
@ Rebuild with `examples/firmware/build.sh`.

    .syntax unified
    .cpu cortex-m7
    .thumb

    .equ SYS_OPEN, 0x01
    .equ SYS_WRITE, 0x05
    .equ OPEN_MODE_W, 4
    .equ LINES, 256
    .equ LINE_SIZE, 64
    .equ TEXT_SIZE, LINES * LINE_SIZE

    .macro semihost op
    movs r0, #\op
    bkpt 0xab
    .endm

    .section .vectors, "a", %progbits
    .global vector_table
vector_table:
    .word _stack_top
    .word reset_handler
    .rept 14
    .word hang
    .endr

    .text
    .thumb_func
    .global reset_handler
    .type reset_handler, %function
reset_handler:
    @ text = LINES copies of `line`.
    ldr r0, =text
    ldr r3, =text_end
fill_line:
    ldr r1, =line
    movs r2, #LINE_SIZE
fill_byte:
    ldrb r6, [r1], #1
    strb r6, [r0], #1
    subs r2, r2, #1
    bne fill_byte
    cmp r0, r3
    blo fill_line

    ldr r4, =prints
    movs r0, #0
    str r0, [r4]

    @ SYS_OPEN(":tt", "w"): standard output.
    ldr r1, =open_block
    semihost SYS_OPEN
    mov r5, r0

    .global print_loop
print_loop:
    @ SYS_WRITE(handle, text, size), then count it.
    ldr r1, =param
    str r5, [r1]
    ldr r2, =text
    str r2, [r1, #4]
    ldr r2, =TEXT_SIZE
    str r2, [r1, #8]
    semihost SYS_WRITE
    ldr r0, [r4]
    adds r0, r0, #1
    str r0, [r4]
    b print_loop

    .thumb_func
    .global hang
hang:
    b hang

    .ltorg

    .align 2
open_block:
    .word tt_name
    .word OPEN_MODE_W
    .word tt_name_end - tt_name - 1

tt_name:
    .asciz ":tt"
tt_name_end:
line:
    .ascii "semihosting print loop: the same 64-byte line, over and over...\n"
line_end:
    .if line_end - line != LINE_SIZE
    .error "line must be LINE_SIZE bytes"
    .endif

    .bss
    .align 2
    .global prints
prints:
    .space 4
param:
    .space 12
text:
    .space TEXT_SIZE
text_end:
