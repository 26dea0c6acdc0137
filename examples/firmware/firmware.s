@ Test firmware for stm32-opts: a Cortex-M7 program in ARMv7-M integer Thumb code, so that the
@ simulated chip's CPU (which executes no FP and few DSP instructions) runs it as silicon would.
@
@ main() calls tick() forever; tick() increments the RAM word `counter`. Tests break on `tick`,
@ watch `counter`, step and interrupt the loop. Rebuild with `examples/firmware/build.sh`.

    .syntax unified
    .cpu cortex-m7
    .thumb

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
    ldr r0, =counter
    movs r1, #0
    str r1, [r0]
    bl main
    b reset_handler

    .thumb_func
    .global main
    .type main, %function
main:
    movs r4, #0
main_loop:
    bl tick
    adds r4, r4, #1
    b main_loop

    .thumb_func
    .global tick
    .type tick, %function
tick:
    ldr r0, =counter
    ldr r1, [r0]
    adds r1, r1, #1
    str r1, [r0]
    bx lr

    .thumb_func
    .global default_handler
    .type default_handler, %function
default_handler:
    b default_handler

    .ltorg

    .bss
    .align 2
    .global counter
    .type counter, %object
counter:
    .word 0
